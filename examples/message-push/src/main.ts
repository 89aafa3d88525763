/**
 * The message-push demo: a Web API that answers at once and pushes messages to users' devices in
 * the background, with retries. Configuration by environment:
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1)
 * - `SPOOL_STORAGE` (default `sqlite:./data/spool.db`, relative to the current directory)
 * - `PUSH_FAILURE_RATE`: share of simulated pushes that fail, 0 to 1 (default 0.2)
 * - `WORKER=off`: run only the API; run the jobs with `spool worker` in another process
 */
import { startMessagePush } from './start.js';

const port = Number(process.env.PORT || 3000);
const failureRate = Number(process.env.PUSH_FAILURE_RATE || 0.2);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
if (!(failureRate >= 0 && failureRate <= 1)) fail(`PUSH_FAILURE_RATE must be between 0 and 1, got ${JSON.stringify(process.env.PUSH_FAILURE_RATE)}`);
const storage = process.env.SPOOL_STORAGE || 'sqlite:./data/spool.db';
const worker = process.env.WORKER !== 'off';

const app = await startMessagePush({ port, host: process.env.HOST || '127.0.0.1', failureRate, storage, worker }).catch((error: unknown) => {
  const code = (error as { code?: unknown }).code;
  fail(`${typeof code === 'string' ? `[${code}] ` : ''}${error instanceof Error ? error.message : String(error)}`);
});

console.log(`message-push listening on ${app.url}  (storage ${storage}, failure rate ${failureRate}, worker ${worker ? 'in process' : 'off'})

  Send a message:   curl -i -X POST ${app.url}/api/messages -H 'content-type: application/json' -d '{"userId":"ann","text":"Hello"}'
  Follow the job:   curl ${app.url}/api/jobs/<jobId>
  Known users:      ${app.url}/api/users
  From the shell:   npx spool jobs list --storage ${storage}

Stop with Ctrl+C.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n${signal}: finishing running pushes, then stopping (again to exit at once)`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('message-push: stop failed:', error);
        process.exit(1);
      },
    );
  });
}

function fail(message: string): never {
  console.error(`message-push: ${message}`);
  process.exit(1);
}
