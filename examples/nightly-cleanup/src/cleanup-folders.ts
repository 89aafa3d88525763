import type { CleanupCounts, CleanupLogger, CleanupResult } from './cleanup-exports.js';
import { LISTED_FILES, cleanupExports } from './cleanup-exports.js';

/** Options of {@link cleanupFolders}. */
export interface CleanupFoldersOptions {
  /** The folders to clean, one after the other; only files directly in each are considered. */
  folders: readonly string[];
  /** Files last modified more than this many days before `now` are deleted. */
  maxAgeDays: number;
  /** The time ages are measured from, in ms since the epoch: one cutoff for every folder. */
  now: number;
  log: CleanupLogger;
  /** Told the share of all the folders looked at, 0 to 100. */
  progress?: (percent: number) => Promise<void>;
  /** Stops the cleanup between two files. */
  signal?: AbortSignal;
}

/** What a cleanup of several folders did: the counts summed over them (the names: the first {@link LISTED_FILES} of all), and each folder's own. */
export interface CleanupFoldersResult extends CleanupCounts {
  /** Each folder's result, in the order given. */
  folders: CleanupResult[];
}

const COUNTS = ['scanned', 'deleted', 'freedBytes', 'kept', 'inProgress', 'skipped', 'failed'] as const;

/**
 * Cleans each folder in turn with {@link cleanupExports} (the same safety rules in each: regular
 * files directly in it, no symbolic links followed, names still being written skipped), with one
 * cutoff for all, progress over all of them, and the counts summed.
 */
export async function cleanupFolders(options: CleanupFoldersOptions): Promise<CleanupFoldersResult> {
  const { folders, log, progress } = options;
  if (folders.length === 0) throw new RangeError('folders: expected at least one folder to clean');
  const results: CleanupResult[] = [];
  for (const [index, dir] of folders.entries()) {
    // Folder `index` of n covers the share index/n to (index+1)/n of the whole.
    const share = progress && ((percent: number) => progress(Math.floor((index * 100 + percent) / folders.length)));
    results.push(await cleanupExports({ dir, maxAgeDays: options.maxAgeDays, now: options.now, log, progress: share, signal: options.signal }));
  }
  const total: CleanupFoldersResult = { cutoff: results[0]!.cutoff, scanned: 0, deleted: 0, freedBytes: 0, kept: 0, inProgress: 0, skipped: 0, failed: 0, deletedFiles: [], folders: results };
  for (const result of results) {
    for (const count of COUNTS) total[count] += result[count];
    total.deletedFiles.push(...result.deletedFiles.slice(0, LISTED_FILES - total.deletedFiles.length));
  }
  if (results.length > 1) {
    log.info(
      `${results.length} folders: deleted ${total.deleted} file(s) (${total.freedBytes} bytes); kept ${total.kept} newer, ${total.inProgress} in progress, ` +
        `${total.skipped} not regular files${total.failed ? `; ${total.failed} could not be deleted` : ''}`,
    );
  }
  return total;
}
