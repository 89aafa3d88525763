/**
 * The in-process queue example on its own: the same welcome emails sent through a bounded queue in
 * memory and through Spool. Configuration by environment:
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1)
 * - `SPOOL_STORAGE` (default `sqlite:./data/spool.db`, relative to the current directory)
 * - `QUEUE_CAPACITY` (default 10), `QUEUE_CONSUMERS` (default 2): the in-memory queue
 * - `SPOOL_CONCURRENCY` (default: as many as the consumers): Spool jobs run at once
 * - `EMAIL_LATENCY_MS` (default 200): how long one simulated send takes
 * - `COMPLETED_FILE` (default `./data/welcome-emails-sent.log`): every sent email, one line each
 * - `LEASE_TIME` (default `30s`): how long the jobs of a host that died stay claimed
 * - `WORKER=off`: no Spool server here; run `spool worker --jobs dist/jobs.js` elsewhere
 */
import { exitWith, stopOnSignals } from '@spool-examples/web-kit';

import { integerFromEnv } from './host-settings.js';
import { DASHBOARD_PATH, startInProcessQueue } from './start.js';

const app = await (async () => {
  const consumers = integerFromEnv('QUEUE_CONSUMERS', 2, 1, 1000);
  return startInProcessQueue({
    port: integerFromEnv('PORT', 3000, 0, 65535),
    host: process.env.HOST || '127.0.0.1',
    storage: process.env.SPOOL_STORAGE || 'sqlite:./data/spool.db',
    capacity: integerFromEnv('QUEUE_CAPACITY', 10, 1, 1_000_000),
    consumers,
    concurrency: integerFromEnv('SPOOL_CONCURRENCY', consumers, 1, 10_000),
    latencyMs: integerFromEnv('EMAIL_LATENCY_MS', 200, 0, 600_000),
    completedFile: process.env.COMPLETED_FILE || './data/welcome-emails-sent.log',
    leaseTime: process.env.LEASE_TIME || '30s',
    worker: process.env.WORKER !== 'off',
  });
})().catch((error: unknown) => exitWith('in-process-queue', error));

console.log(`in-process-queue listening on ${app.url}  (pid ${process.pid})

  The page:        ${app.url}/
  A burst:         curl -X POST ${app.url}/api/burst -H 'content-type: application/json' -d '{"via":"memory","count":50}'
                   curl -X POST ${app.url}/api/burst -H 'content-type: application/json' -d '{"via":"spool","count":50}'
  Both paths now:  ${app.url}/api/status
  The dashboard:   ${app.url}${DASHBOARD_PATH}/

Stop with Ctrl+C (kill -9 ${process.pid} to see what a crash does to each path).`);

stopOnSignals('in-process-queue', () => app.close(), { finishing: 'sending what the in-memory queue holds, finishing running jobs' });
