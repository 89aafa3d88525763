/**
 * The message-push demo: a Web API that answers at once and pushes messages to users' devices in
 * the background, with retries. Configuration by environment:
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1)
 * - `SPOOL_STORAGE` (default `sqlite:./data/spool.db`, relative to the current directory)
 * - `PUSH_FAILURE_RATE`: share of simulated pushes that fail, 0 to 1 (default 0.2)
 * - `WORKER=off`: run only the API; run the jobs with `spool worker` in another process
 */
import { describeStorage, exitWith, portFromEnv, stopOnSignals } from '@spool-examples/web-kit';

import { startMessagePush } from './start.js';

const failureRate = Number(process.env.PUSH_FAILURE_RATE || 0.2);
const storage = process.env.SPOOL_STORAGE || 'sqlite:./data/spool.db';
const worker = process.env.WORKER !== 'off';

const app = await (async () => {
  if (!(failureRate >= 0 && failureRate <= 1)) throw new RangeError(`PUSH_FAILURE_RATE must be between 0 and 1, got ${JSON.stringify(process.env.PUSH_FAILURE_RATE)}`);
  return startMessagePush({ port: portFromEnv(), host: process.env.HOST || '127.0.0.1', failureRate, storage, worker });
})().catch((error: unknown) => exitWith('message-push', error));

console.log(`message-push listening on ${app.url}  (storage ${describeStorage(storage)}, failure rate ${failureRate}, worker ${worker ? 'in process' : 'off'})

  Send a message:   curl -i -X POST ${app.url}/api/messages -H 'content-type: application/json' -d '{"userId":"ann","text":"Hello"}'
  Follow the job:   curl ${app.url}/api/jobs/<jobId>
  Known users:      ${app.url}/api/users
  From the shell:   npx spool jobs list --storage ${describeStorage(storage)}

Stop with Ctrl+C.`);

stopOnSignals('message-push', () => app.close(), { finishing: 'finishing running pushes' });
