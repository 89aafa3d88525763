/**
 * The nightly cleanup on its own: a recurring job that deletes old files, with its page and the
 * dashboard. Configuration by environment:
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1)
 * - `SPOOL_STORAGE` (default `sqlite:./data/spool.db`, relative to the current directory)
 * - `CLEANUP_FOLDERS` (default `./data/exports`): the folders to clean, separated by `:` (`;` on
 *   Windows), e.g. `./data/documents/exports:./data/documents/uploads`; `CLEANUP_EXPORTS_DIR` is
 *   still read as one folder when `CLEANUP_FOLDERS` is not set
 * - `CLEANUP_MAX_AGE_DAYS` (default 7), `CLEANUP_CRON` (default `0 3 * * *`),
 *   `CLEANUP_TIMEZONE` (default `Europe/Berlin`)
 * - `WORKER=off`: no Spool server here; run `spool worker --jobs dist/jobs.js` elsewhere
 */
import { describeStorage, exitWith, portFromEnv, stopOnSignals } from '@spool-examples/web-kit';

import { cleanupSettingsFromEnv } from './cleanup-settings.js';
import { DASHBOARD_PATH, startNightlyCleanup } from './start.js';

const storage = process.env.SPOOL_STORAGE || 'sqlite:./data/spool.db';

const app = await (async () =>
  startNightlyCleanup({ ...cleanupSettingsFromEnv(), storage, port: portFromEnv(), host: process.env.HOST || '127.0.0.1', worker: process.env.WORKER !== 'off' }))().catch(
  (error: unknown) => exitWith('nightly-cleanup', error),
);

const status = await app.mount.status();
console.log(`nightly-cleanup listening on ${app.url}  (pid ${process.pid})

  Cleans:          ${status.folders.join(', ')} (files older than ${status.maxAgeDays} days)
  Schedule:        ${status.cron} in ${status.timezone}; ${status.paused ? 'paused' : `next run ${status.nextRunLocal}`}
  Its page:        ${app.url}/
  Pause, trigger:  ${app.url}${DASHBOARD_PATH}/recurring
  From the shell:  npx spool recurring list --storage ${describeStorage(storage)}

Stop with Ctrl+C.`);

stopOnSignals('nightly-cleanup', () => app.close(), { finishing: 'finishing a running cleanup' });
