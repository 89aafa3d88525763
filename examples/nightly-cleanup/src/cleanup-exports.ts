import { lstat, readdir, realpath, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';

/** A day in milliseconds. */
export const DAY_MS = 86_400_000;

/** Most deleted file names a result lists and the log names one by one; the counts include all. */
export const LISTED_FILES = 100;

/** Where the cleanup reports what it does: the job's persisted log. */
export interface CleanupLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Options of {@link cleanupExports}. */
export interface CleanupOptions {
  /** The folder to clean, e.g. finished exports. Only files directly in it are considered. */
  dir: string;
  /** Files last modified more than this many days before `now` are deleted. */
  maxAgeDays: number;
  /** The time ages are measured from, in ms since the epoch. */
  now: number;
  log: CleanupLogger;
  /** Told the share of the folder looked at, 0 to 100. */
  progress?: (percent: number) => Promise<void>;
  /** Stops the cleanup between two files. */
  signal?: AbortSignal;
}

/** What a cleanup did: what it found, deleted and left. */
export interface CleanupCounts {
  /** Files modified before this time were old enough to delete. */
  cutoff: string;
  /** Entries looked at. */
  scanned: number;
  deleted: number;
  /** Bytes the deleted files held. */
  freedBytes: number;
  /** Finished files younger than the cutoff. */
  kept: number;
  /** Files still being written (names starting with `.` or ending in `.tmp`): never touched. */
  inProgress: number;
  /** Entries that are not regular files (folders, symbolic links, sockets): never touched. */
  skipped: number;
  /** Files that could not be deleted (see the log); the next run tries again. */
  failed: number;
  /** The first deleted file names, at most {@link LISTED_FILES}. */
  deletedFiles: string[];
}

/** What the cleanup of one folder did. */
export interface CleanupResult extends CleanupCounts {
  /** The folder, symbolic links in its own path resolved. */
  folder: string;
}

/**
 * Whether a file name is an export still being written. A writer that creates `report.pdf.tmp` (or
 * `.report.pdf`) and renames it when done never has a half-written file deleted under it.
 */
export function isInProgress(name: string): boolean {
  return name.startsWith('.') || name.toLowerCase().endsWith('.tmp');
}

/**
 * Deletes the finished files (exports, uploads) in `dir` that are older than `maxAgeDays`. Safe by construction:
 * it looks only at entries directly in the folder, deletes only regular files (a symbolic link is
 * never followed, so nothing outside the folder can be reached through one, and is itself left
 * alone), skips files still being written, and checks each file again just before deleting it, so
 * that a file replaced meanwhile (an export written again under the same name) is kept.
 */
export async function cleanupExports(options: CleanupOptions): Promise<CleanupResult> {
  const { log, signal } = options;
  if (!(Number.isFinite(options.maxAgeDays) && options.maxAgeDays > 0)) {
    throw new RangeError(`maxAgeDays must be a number above 0, got ${options.maxAgeDays}`);
  }
  const cutoff = options.now - options.maxAgeDays * DAY_MS;
  const result: CleanupResult = {
    folder: options.dir,
    cutoff: new Date(cutoff).toISOString(),
    scanned: 0,
    deleted: 0,
    freedBytes: 0,
    kept: 0,
    inProgress: 0,
    skipped: 0,
    failed: 0,
    deletedFiles: [],
  };
  let names: string[];
  try {
    // The configured folder itself may be a link (to a mounted volume, say); what is inside may not.
    result.folder = await realpath(options.dir);
    names = await readdir(result.folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      log.info(`${options.dir} does not exist (yet): nothing to clean`);
      await options.progress?.(100);
      return result;
    }
    throw error;
  }
  names.sort();
  log.info(`cleaning ${result.folder}: deleting finished files last modified before ${result.cutoff} (${options.maxAgeDays} days)`);

  for (const [index, name] of names.entries()) {
    signal?.throwIfAborted();
    result.scanned += 1;
    const path = join(result.folder, name);
    const before = await lstatOrNull(path);
    if (!before) continue; // gone since the listing
    if (!before.isFile()) result.skipped += 1;
    else if (isInProgress(name)) result.inProgress += 1;
    else if (before.mtimeMs >= cutoff) result.kept += 1;
    else await deleteIfUnchanged(path, name, before, result, log);
    if (index % 50 === 49) await options.progress?.(Math.floor(((index + 1) * 100) / names.length));
  }
  await options.progress?.(100);
  if (result.deleted > LISTED_FILES) log.info(`… and ${result.deleted - LISTED_FILES} more in ${result.folder}`);
  log.info(
    `deleted ${result.deleted} file(s) (${result.freedBytes} bytes) in ${result.folder}; kept ${result.kept} newer, ${result.inProgress} in progress, ` +
      `${result.skipped} not regular files${result.failed ? `; ${result.failed} could not be deleted` : ''}`,
  );
  return result;
}

async function deleteIfUnchanged(path: string, name: string, before: Stats, result: CleanupResult, log: CleanupLogger): Promise<void> {
  const now = await lstatOrNull(path);
  if (!now || !now.isFile() || now.ino !== before.ino || now.dev !== before.dev || now.mtimeMs !== before.mtimeMs) {
    result.kept += now ? 1 : 0;
    return;
  }
  try {
    await unlink(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // someone else removed it: the goal is met
    result.failed += 1;
    log.warn(`could not delete ${name} in ${result.folder}: ${code ?? (error as Error).message}`);
    return;
  }
  result.deleted += 1;
  result.freedBytes += before.size;
  if (result.deletedFiles.length < LISTED_FILES) {
    result.deletedFiles.push(name);
    log.info(`deleted ${name} in ${result.folder} (${before.size} bytes, last modified ${before.mtime.toISOString()})`);
  }
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
