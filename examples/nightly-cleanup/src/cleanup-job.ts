import type { JobDefinition } from 'spool';
import { defineJob } from 'spool';

import type { CleanupFoldersResult } from './cleanup-folders.js';
import { cleanupFolders } from './cleanup-folders.js';

/** The name of the cleanup job. */
export const CLEANUP_JOB = 'exports.cleanup';

/** The queue maintenance jobs run on, apart from the application's own work. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** The id of the recurring job, as the dashboard and `spool recurring` show it. */
export const NIGHTLY_CLEANUP_ID = 'exports.nightly-cleanup';

/** Arguments of the cleanup job: none; what to clean is configuration, not data. */
export type CleanupArgs = Record<string, never>;

/** What the cleanup job needs. */
export interface CleanupJobDependencies {
  /** The folders to clean (absolute), e.g. finished exports and uploads. */
  folders: readonly string[];
  maxAgeDays: number;
  /** The current time in ms. Default `Date.now`; a host passes its Spool's clock. */
  now?: () => number;
}

/**
 * Defines `exports.cleanup`: deletes the finished files older than `maxAgeDays` from each folder,
 * logs every file it deletes (and where) in the job's log, reports progress over all the folders, and
 * returns the counts, summed and per folder.
 *
 * The folders come from the definition, never from the job's arguments: a job's arguments are data
 * anyone with access to the storage can write, and a cleanup must not be pointed at another folder.
 * Deleting files that are already gone is harmless, so the job can run twice (at least once
 * delivery) and be retried.
 */
export function defineCleanupJob(deps: CleanupJobDependencies): JobDefinition<CleanupArgs, CleanupFoldersResult> {
  const now = deps.now ?? Date.now;
  return defineJob<CleanupArgs, CleanupFoldersResult>(
    CLEANUP_JOB,
    (_args, ctx) =>
      cleanupFolders({
        folders: deps.folders,
        maxAgeDays: deps.maxAgeDays,
        now: now(),
        log: ctx.log,
        progress: (percent) => ctx.progress(percent),
        signal: ctx.signal,
      }),
    { queue: MAINTENANCE_QUEUE, attempts: 3, timeout: '30m' },
  );
}
