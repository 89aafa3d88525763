import type { JobRecord, LogRecord, Storage } from '@spool/core';
import { STATE_FACTS } from '@spool/core';

import type { Change, ChangeFeed } from './change-feed.js';

/** What a {@link watchJob} listener receives: the job as it is now, and its latest log lines. */
export interface JobSnapshot {
  job: JobRecord;
  /** The latest log lines, oldest first (empty unless the watch was asked for logs). */
  logs: LogRecord[];
}

/** Options of {@link watchJob}. */
export interface JobWatchOptions {
  /**
   * How often a job that has not finished is read. Progress and log lines raise no storage
   * notification (a running job may write them many times a second), so they are read; a change of
   * state is read at once when a notification says so.
   */
  checkMs: number;
  /** Whether to read the job's latest log lines too, and how many (0: none). */
  logLimit: number;
  /** Where errors of a read go; the watch goes on. */
  onError: (error: unknown) => void;
}

/** A finished job is read this many times less often: only an operator's action changes it again. */
const FINISHED_SLOWDOWN = 10;

/**
 * Follows one job: reads it when a storage notification says it changed state, and every
 * `checkMs` while it has not finished (every `checkMs × 10` after), and calls `listener` with a
 * snapshot whenever what it shows changed: state, progress, update time, or a new log line. The
 * first snapshot comes right away. `listener(null)` says the job does not exist (or no longer).
 * Returns the function that stops the watch.
 */
export function watchJob(storage: Storage, feed: ChangeFeed, id: string, options: JobWatchOptions, listener: (snapshot: JobSnapshot | null) => void): () => void {
  let stopped = false;
  let lastKey: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let reading: Promise<void> | null = null;
  let again = false;

  const schedule = (finished: boolean): void => {
    if (stopped) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(check, finished ? options.checkMs * FINISHED_SLOWDOWN : options.checkMs);
    timer.unref();
  };

  async function read(): Promise<void> {
    let finished = false;
    try {
      const snapshot = await readSnapshot(storage, id, options.logLimit);
      if (stopped) return;
      finished = snapshot === null || STATE_FACTS[snapshot.job.state].finished;
      const key = snapshot === null ? 'gone' : snapshotKey(snapshot);
      if (key !== lastKey) {
        lastKey = key;
        listener(snapshot);
      }
    } catch (error) {
      options.onError(error);
    }
    schedule(finished);
  }

  function check(): void {
    if (stopped) return;
    if (reading !== null) {
      again = true;
      return;
    }
    reading = read().finally(() => {
      reading = null;
      if (again) {
        again = false;
        check();
      }
    });
  }

  const stopFeed = feed.listen((change: Change) => {
    if (change.jobs.has(id)) check();
  });
  check();
  return () => {
    stopped = true;
    stopFeed();
    if (timer !== null) clearTimeout(timer);
  };
}

async function readSnapshot(storage: Storage, id: string, logLimit: number): Promise<JobSnapshot | null> {
  if (logLimit > 0) {
    const details = await storage.monitoring.jobDetails({ id, logLimit });
    return details ? { job: details.job, logs: details.logs } : null;
  }
  const job = await storage.jobGet({ id });
  return job ? { job, logs: [] } : null;
}

/** What a snapshot shows, as one string: equal keys need not be sent again. */
function snapshotKey({ job, logs }: JobSnapshot): string {
  const last = logs.at(-1);
  return JSON.stringify([job.state, job.progress, job.updatedAt.getTime(), job.attempt, logs.length, last ? [last.at.getTime(), last.attempt, last.message] : null]);
}
