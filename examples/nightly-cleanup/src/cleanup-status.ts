import type { Json, Spool } from 'spool';
import { describeCron } from 'spool';

import type { CleanupSettings } from './cleanup-settings.js';
import { CLEANUP_JOB, MAINTENANCE_QUEUE, NIGHTLY_CLEANUP_ID } from './cleanup-job.js';

/** Runs the status shows. */
export const LAST_RUNS = 10;

/** One run of the cleanup, as the status shows it. */
export interface CleanupRun {
  jobId: string;
  state: string;
  createdAt: string;
  finishedAt: string | null;
  /** The occurrence of the schedule it ran for (a triggered run: the time of the request). */
  occurrence: string | null;
  /** The cleanup's counts, once it succeeded. */
  result: Json;
  error: string | null;
}

/** The schedule, the settings and the last runs. */
export interface CleanupStatus {
  id: string;
  job: string;
  queue: string;
  cron: string;
  /** The schedule in words, e.g. "Every day at 03:00", when it is a common one. */
  description: string | null;
  timezone: string;
  paused: boolean;
  /** The next run (UTC), null while paused. */
  nextRunAt: string | null;
  /** The next run in the schedule's time zone, e.g. "Tue, 12 Mar 2030, 03:00 CET". */
  nextRunLocal: string | null;
  lastRunAt: string | null;
  /** The folders cleaned (absolute). */
  folders: readonly string[];
  maxAgeDays: number;
  lastRuns: CleanupRun[];
}

/** Reads the recurring job and its last runs from the storage. */
export async function readCleanupStatus(spool: Spool, settings: CleanupSettings): Promise<CleanupStatus> {
  const record = await spool.recurring.get(NIGHTLY_CLEANUP_ID);
  const { jobs } = await spool.storage.monitoring.jobsList({ name: CLEANUP_JOB, limit: LAST_RUNS });
  const cron = record?.cron ?? settings.cron;
  const timezone = record?.timezone ?? settings.timezone;
  return {
    id: NIGHTLY_CLEANUP_ID,
    job: CLEANUP_JOB,
    queue: record?.queue ?? MAINTENANCE_QUEUE,
    cron,
    description: describeCron(cron),
    timezone,
    paused: record?.paused ?? false,
    nextRunAt: record?.nextRunAt?.toISOString() ?? null,
    nextRunLocal: record?.nextRunAt ? inZone(record.nextRunAt, timezone) : null,
    lastRunAt: record?.lastRunAt?.toISOString() ?? null,
    folders: settings.folders,
    maxAgeDays: settings.maxAgeDays,
    lastRuns: jobs.map((job) => ({
      jobId: job.id,
      state: job.state,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
      occurrence: typeof job.parameters.recurringOccurrence === 'string' ? job.parameters.recurringOccurrence : null,
      result: job.state === 'succeeded' ? job.result : null,
      error: job.error && job.state !== 'succeeded' ? job.error.message : null,
    })),
  };
}

/** A time as people in a time zone read it. */
export function inZone(time: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(time);
}
