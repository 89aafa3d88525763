import type { ContinuationOn, JobState } from '../states/states.js';

/** A JSON value: what job arguments, results and parameters may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A stored error: plain data, readable in any process. */
export interface ErrorRecord {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: ErrorRecord;
}

/** A retry delay policy that can be stored with a job (a function policy lives on the definition). */
export type BackoffSpec =
  | { type: 'default' }
  | { type: 'fixed'; delayMs: number }
  | { type: 'exponential'; delayMs: number; maxDelayMs?: number };

/** A job as stored. */
export interface JobRecord {
  /** UUIDv7, made by the client. */
  id: string;
  /** The registry key of the job definition that runs it. */
  name: string;
  args: Json;
  queue: string;
  /** Higher runs first within a queue; 0 by default. */
  priority: number;
  state: JobState;
  /** How many times the job has started (1 during its first run). */
  attempt: number;
  maxAttempts: number;
  /** How many times an expired lease returned it to the queue. */
  rescues: number;
  /** When a scheduled job becomes due. */
  runAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When the job is removed from storage; null keeps it. */
  expiresAt: Date | null;
  timeoutMs: number | null;
  /** How long the job is kept after it succeeds or is deleted; null keeps it forever. */
  retentionMs: number | null;
  backoff: BackoffSpec | null;
  uniqueKey: string | null;
  parentId: string | null;
  continueOn: ContinuationOn | null;
  recurringId: string | null;
  /** The server holding the lease while processing. */
  serverId: string | null;
  leaseExpiresAt: Date | null;
  /** 0 to 100, or null when never reported. */
  progress: number | null;
  result: Json;
  error: ErrorRecord | null;
  /**
   * When the job's attempts ran out and its definition routed it to the dead letters
   * (`onExhausted: 'dead-letter'`); null for any other job. Only a failed job has it.
   */
  deadLetteredAt: Date | null;
  parameters: Record<string, Json>;
  /** Set when the stored row could not be decoded; the server fails such a job with this message. */
  decodeError?: string;
}

/** A job handed to a server by a fetch or claim, with the lease that proves ownership. */
export interface FetchedJob extends JobRecord {
  leaseToken: string;
}

/** A job to create. */
export interface NewJob {
  id: string;
  name: string;
  args: Json;
  queue: string;
  priority: number;
  /** The initial state. `awaiting` needs `parentId` and `continueOn`. */
  state: 'enqueued' | 'scheduled' | 'awaiting';
  runAt: Date | null;
  maxAttempts: number;
  timeoutMs: number | null;
  retentionMs: number | null;
  backoff: BackoffSpec | null;
  uniqueKey: string | null;
  parentId: string | null;
  continueOn: ContinuationOn | null;
  recurringId: string | null;
  parameters: Record<string, Json>;
  /** Why it was created, for the first history record. */
  reason: string;
  /**
   * With a unique key an active job holds: `keep` (default) answers with that job; `replace`
   * changes it while it waits, or takes its key over when it has started (`decideDuplicate`).
   */
  onDuplicate?: 'keep' | 'replace';
}

/** One entry of a job's state history. */
export interface HistoryRecord {
  jobId: string;
  state: JobState;
  reason: string;
  data: Json;
  at: Date;
  serverId: string | null;
}

/** Severity of a persisted job log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One persisted log line written by a handler through `ctx.log`. */
export interface LogRecord {
  jobId: string;
  attempt: number;
  level: LogLevel;
  message: string;
  at: Date;
}

/** A Spool server as announced by its heartbeat. */
export interface ServerRecord {
  id: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  /** Job names the server can run. */
  jobNames: string[];
  /** How many jobs it runs now. */
  running: number;
  startedAt: Date;
  heartbeatAt: Date;
}

/** What to do with the occurrences of a recurring job that were missed while no server ran. */
export type MisfirePolicy = 'once' | 'all' | 'skip';

/**
 * What a recurring job does when its next occurrence comes while its previous run is unfinished:
 * `'allow'` fires anyway, `'skip'` fires nothing for that occurrence, `'queue'` creates the job to
 * wait for the previous run to finish (one waiting at most), `'cancel'` deletes the previous run
 * (its handler's signal aborts) and fires.
 */
export type OverlapPolicy = 'allow' | 'skip' | 'queue' | 'cancel';

/** The schedule settings of a recurring job beyond its cron expression. Storages keep them as they are. */
export interface RecurringSettings {
  /** How day-of-month and day-of-week combine when both are restricted: `'and'` (Hangfire) or `'or'` (classic cron). */
  dayMatch: 'and' | 'or';
  overlap: OverlapPolicy;
  /** Every occurrence fires this recurring job's fixed offset later, in `[0, jitterMs)`; 0 for none. */
  jitterMs: number;
  /** No occurrence before this time. */
  startAt: Date | null;
  /** No occurrence after this time. */
  endAt: Date | null;
  /** The schedule ends after this many occurrence jobs; null for no limit. */
  maxRuns: number | null;
  /**
   * An operator's schedule, in force (the record's `cron` and `timezone`) instead of the code's until
   * cleared: set by `recurring.setSchedule`, kept by `addOrUpdate`, cleared by `resetSchedule`.
   * Null when the code's schedule is in force.
   */
  override?: RecurringOverride | null;
}

/** An operator's schedule of a recurring job, with the code's to go back to. */
export interface RecurringOverride {
  /** The schedule the code gives (its latest `addOrUpdate`), in force again when the override is cleared. */
  code: { cron: string; timezone: string };
  /** Who set it (a user name, `cli`), shown beside it. */
  setBy: string | null;
  setAt: Date;
}

/** The settings of a recurring job that sets none. */
export const DEFAULT_RECURRING_SETTINGS: Readonly<RecurringSettings> = Object.freeze({
  dayMatch: 'and',
  overlap: 'allow',
  jitterMs: 0,
  startAt: null,
  endAt: null,
  maxRuns: null,
});

/** A recurring job: a cron schedule and the template of the job it creates. */
export interface RecurringRecord {
  id: string;
  /** Job name of the template. */
  name: string;
  args: Json;
  cron: string;
  timezone: string;
  queue: string;
  priority: number;
  maxAttempts: number;
  timeoutMs: number | null;
  retentionMs: number | null;
  misfire: MisfirePolicy;
  settings: RecurringSettings;
  paused: boolean;
  nextRunAt: Date | null;
  /** Jobs created for occurrences so far (triggered jobs do not count). */
  runs: number;
  lastRunAt: Date | null;
  lastJobId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What a recurring job's history records: what the scheduler did with an occurrence, or an
 * operator's trigger or backfill.
 * - `fired`: a job was created for the occurrence.
 * - `queued`: a job was created waiting for the unfinished previous run (overlap `'queue'`).
 * - `skipped`: no job, because the previous run was unfinished (overlap `'skip'`, or `'queue'` with
 *   one already waiting).
 * - `missed`: occurrences no server fired in time and the misfire policy left out (a range).
 * - `triggered`: a job created now, outside the schedule.
 * - `backfilled`: a backfill of a range was asked for.
 */
export type RecurringEvent = 'fired' | 'queued' | 'skipped' | 'missed' | 'triggered' | 'backfilled';

/** One entry of a recurring job's history (see {@link RecurringEvent}). */
export interface RecurringHistoryRecord {
  /** When it was written: the storage's time. */
  at: Date;
  event: RecurringEvent;
  /** The occurrence (its scheduled time, without jitter); for `missed` and `backfilled` the last of the range; null for `triggered`. */
  occurrence: Date | null;
  /** For `missed` and `backfilled`: the first occurrence of the range; else null. */
  from: Date | null;
  /** `fired`, `queued`, `triggered`: the job created. `skipped`: the unfinished previous run. Else null. */
  jobId: string | null;
  /** In words, for operators. */
  reason: string;
}

/** A history entry to write: the storage stamps its time. */
export type NewRecurringHistory = Omit<RecurringHistoryRecord, 'at'>;

/** Per-queue figures for monitoring. */
export interface QueueRecord {
  name: string;
  enqueued: number;
  paused: boolean;
  oldestEnqueuedAt: Date | null;
}
