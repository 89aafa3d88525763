/**
 * The nightly cleanup example: a recurring Spool job that deletes old files (exports, uploads) from
 * a list of folders, on a schedule in a time zone.
 * `mountNightlyCleanup(spool, options)` puts it into a bigger app; `startNightlyCleanup` runs it alone.
 */
export { cleanupExports, isInProgress, DAY_MS, LISTED_FILES } from './cleanup-exports.js';
export type { CleanupCounts, CleanupLogger, CleanupOptions, CleanupResult } from './cleanup-exports.js';
export { cleanupFolders } from './cleanup-folders.js';
export type { CleanupFoldersOptions, CleanupFoldersResult } from './cleanup-folders.js';
export { CLEANUP_JOB, MAINTENANCE_QUEUE, NIGHTLY_CLEANUP_ID, defineCleanupJob } from './cleanup-job.js';
export type { CleanupArgs, CleanupJobDependencies } from './cleanup-job.js';
export { CLEANUP_DEFAULTS, cleanupSettingsFromEnv, resolveCleanupSettings } from './cleanup-settings.js';
export type { CleanupSettings } from './cleanup-settings.js';
export { readCleanupStatus } from './cleanup-status.js';
export type { CleanupRun, CleanupStatus } from './cleanup-status.js';
export { mountNightlyCleanup } from './mount.js';
export type { NightlyCleanupMount, NightlyCleanupOptions } from './mount.js';
export type { ExampleMount } from '@spool-examples/web-kit';
export { DASHBOARD_PATH, startNightlyCleanup } from './start.js';
export type { NightlyCleanupHost, NightlyCleanupHostOptions } from './start.js';
