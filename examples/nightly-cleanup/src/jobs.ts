/**
 * The cleanup job as a module, for running it in a separate process:
 *
 *   WORKER=off npm start --workspace @spool-examples/nightly-cleanup
 *   npx spool worker --jobs examples/nightly-cleanup/dist/jobs.js
 *
 * The worker fires the recurring job (any server does, exactly once per occurrence) and runs it.
 * It reads `CLEANUP_FOLDERS` and `CLEANUP_MAX_AGE_DAYS` as the app does; the schedule itself
 * (`CLEANUP_CRON`, `CLEANUP_TIMEZONE`) is stored by the app when it registers the recurring job.
 */
import { defineCleanupJob } from './cleanup-job.js';
import { cleanupSettingsFromEnv } from './cleanup-settings.js';

const settings = cleanupSettingsFromEnv();

/** `exports.cleanup` on the queue `maintenance`. */
export const cleanupExportsJob = defineCleanupJob({ folders: settings.folders, maxAgeDays: settings.maxAgeDays });
