import type {
  BackoffSpec,
  ErrorRecord,
  FetchedJob,
  HistoryRecord,
  JobRecord,
  Json,
  LogLevel,
  LogRecord,
  NewJob,
  QueueRecord,
  NewRecurringHistory,
  RecurringHistoryRecord,
  RecurringRecord,
  ServerRecord,
} from '../job/records.js';
import type { GateState } from '../limits/admission.js';
import type { Limits, LimitScope } from '../limits/limits.js';
import type { JobChange, JobChangeCause } from '../states/job-change.js';
import type { JobState } from '../states/states.js';
import type { StorageCapabilities } from './capabilities.js';
import type { AuditAppendParams, AuditEntry, AuditListParams } from './audit-contract.js';
import type {
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
} from './dead-letters-contract.js';
import type { MetricsCount, MetricsExpireParams, MetricsReadParams, MetricsRecordParams } from './metrics-contract.js';
import type { FlowStorage } from './flows-contract.js';

/**
 * The storage contract: every operation a Spool storage performs, in the domain's words.
 *
 * Rules every storage keeps (the conformance suite checks each one):
 * - Every method is atomic: one transaction or one script. A failed expectation writes nothing.
 * - Time comes from the storage's clock (injected in tests); leases are measured on it.
 * - Every state transition is one from `TRANSITIONS` and appends a history record in the same commit.
 * - Continuations are released or cancelled in the same commit as their parent's transition,
 *   decided by `continuationOutcome`.
 * - Monitoring counts come from maintained counters, not from counting rows.
 * - Every string a job produces or an operator writes is stored by one rule (`storable-text.ts`):
 *   each NUL and lone surrogate becomes U+FFFD, everything else is kept; arguments are kept exactly.
 *   A value the database still refuses is a `StorageError` with `retryable: false`.
 */
export interface Storage {
  /** A short name for messages: `memory`, `sqlite`, `postgres`. */
  readonly kind: string;
  readonly capabilities: StorageCapabilities;
  /** The read model for dashboards, the CLI and `getJob`. */
  readonly monitoring: MonitoringApi;
  /** Batches and flows: present exactly when `capabilities.batches` is true. */
  readonly flows?: FlowStorage;

  /** Opens connections and applies pending migrations (unless the storage is told not to). Idempotent. */
  init(): Promise<void>;
  /** Applies pending migrations; returns the versions applied now. */
  migrate(): Promise<{ applied: number[] }>;
  /** Releases connections. Further calls fail with ERR_STORAGE_CLOSED. */
  close(): Promise<void>;
  /** The storage's current time, in milliseconds since the epoch. */
  now(): Promise<number>;
  /** Subscribes to wake-up events; returns an unsubscribe function. See `capabilities.notifications`. */
  subscribe(listener: (event: StorageEvent) => void): () => void;

  /**
   * Creates jobs in one commit. A job whose unique key is held by an active job is not created.
   * (A finished job that becomes active again while another active job holds its key gives the key
   * up: its history record says so.)
   */
  jobsCreate(params: JobsCreateParams): Promise<JobsCreateResult>;
  /**
   * Moves up to `limit` enqueued jobs to processing under a new lease, queues in the given order.
   * Flow control is checked in the same atomic step: a job of a queue or job name with limits in
   * force starts only when `admitJobs` (core) admits it against the gates as stored, takes its
   * gates as it starts and gives them back when it leaves processing (`StateChange.limits`). A job
   * held back stays enqueued; a job skipped under `onLocked: 'skip'` is deleted.
   */
  jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]>;
  /**
   * Records the outcome of many processing jobs; each guarded by its lease token. With `handover`,
   * places freed by successes may pass to the next jobs of their keys, leased to the same server.
   */
  jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult>;
  /** Claims one job by id (for `perform`): like a fetch of that job only. Null when it does not exist or is not in an expected state. */
  jobClaim(params: JobClaimParams): Promise<FetchedJob | null>;
  /** Extends the leases of many running jobs; reports those no longer owned. */
  jobLeaseExtend(params: JobLeaseExtendParams): Promise<JobLeaseExtendResult>;
  /** Compare-and-set of one job's state, for operator actions (delete, requeue, retry). */
  jobSetState(params: JobSetStateParams): Promise<JobSetStateResult>;
  /**
   * Changes a job that has not started (due time, priority, queue, arguments) as core's
   * `decideJobChange` decides, in one atomic step guarded on the state it read: the change lands
   * before a claim or is refused, never applied to a running job. A storage without the
   * `waitingChanges` capability refuses with ERR_CAPABILITY_MISSING.
   */
  jobChange(params: JobChangeParams): Promise<JobChangeResult>;
  /**
   * Dead letters matching the filter (dead-lettered failed jobs), newest first by id, paged by
   * cursor; reads through an index of dead letters only, never every job. Only with `deadLetters`.
   */
  deadLettersList(params: DeadLettersListParams): Promise<DeadLettersListResult>;
  /** The dead letters counted by job name and error name, the largest groups first. Reads only. */
  deadLettersGroups(params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]>;
  /**
   * Redrives a batch of dead letters in one commit, each as core's `decideRedrive` decides, guarded
   * on the state it read: a job that is no longer a dead letter is left as it is and reported
   * (`ok: false`), so a job redriven twice at once runs once. Edited arguments replace the job's,
   * the originals kept in its history.
   */
  deadLettersRedrive(params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult>;
  /** Reads one job. */
  jobGet(params: { id: string }): Promise<JobRecord | null>;
  /** Sets the progress of a running job (guarded by its lease). */
  jobProgressSet(params: { id: string; leaseToken: string; progress: number }): Promise<boolean>;
  /** Appends persisted log lines. */
  jobLogsAppend(params: { entries: NewLogRecord[] }): Promise<void>;
  /** Sets one job parameter; false when the job does not exist. */
  jobParameterSet(params: { id: string; key: string; value: Json }): Promise<boolean>;
  /** Sets when the job is removed: `ttlMs` from now, or never (`null`). False when it does not exist. */
  jobExpirationSet(params: { id: string; ttlMs: number | null }): Promise<boolean>;
  /** Removes finished jobs whose expiry has passed, with their history and logs, at most `limit`. */
  jobsExpire(params: { limit: number }): Promise<{ deleted: number }>;

  /** Enqueues scheduled jobs that are due; reports when the next one is due. */
  scheduledPromoteDue(params: { limit: number }): Promise<{ promoted: number; nextDueAt: number | null }>;
  /** Returns expired leases to the queue, or fails jobs rescued more than `maxRescues` times. */
  leasesRescueExpired(params: { limit: number; maxRescues: number }): Promise<{ requeued: string[]; failed: string[] }>;

  /**
   * Stores one layer of a scope's limits: `code` (a definition's, written when a server starts) or
   * `operator` (set at run time; in force instead of the code's until cleared). `limits: null`
   * clears the layer; a scope with neither layer has no limits. What its gates hold is kept.
   */
  limitsSet(params: LimitsSetParams): Promise<void>;
  /** Every scope with stored limits, by scope id: both layers and how many run under the scope's own gate. */
  limitsList(): Promise<LimitRecord[]>;
  /**
   * What the given flow-control gates hold now (running, rate window, pause), for an operator's
   * "why does this job wait". Reads only; a gate that holds nothing is left out. Empty without
   * `flowControl`.
   */
  limitsGates(params: { gates: readonly string[] }): Promise<GateReading[]>;

  /** Pauses or resumes a queue: fetches skip paused queues. */
  queuePauseSet(params: { queue: string; paused: boolean }): Promise<void>;

  /** Creates or replaces a recurring job, keeping its `runs`, last run and creation time. */
  recurringUpsert(params: { recurring: RecurringUpsert }): Promise<void>;
  /** Reads one recurring job. */
  recurringGet(params: { id: string }): Promise<RecurringRecord | null>;
  /** Lists recurring jobs by id. */
  recurringList(params: { limit: number; afterId?: string }): Promise<RecurringRecord[]>;
  /** Removes a recurring job and its history (the jobs it created stay). */
  recurringRemove(params: { id: string }): Promise<boolean>;
  /**
   * The latest entries of a recurring job's history, newest first (the order they were written), at
   * most `limit`. Empty for an unknown id. Reads only.
   */
  recurringHistory(params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]>;
  /** Pauses or resumes a recurring job, setting its next run. */
  recurringPauseSet(params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean>;
  /**
   * Recurring jobs that are due (not paused, next run at or before now), with the storage's time of
   * the read: the scheduler judges every occurrence by it, so servers whose clocks disagree never
   * see an occurrence as due at different times. Reads only.
   */
  recurringDue(params: { limit: number }): Promise<RecurringDueResult>;
  /**
   * Creates the jobs of one recurring firing. With `occurrence`, only if the record's next run is still
   * `occurrence.expected` (so each occurrence fires once across all servers), moving it to
   * `occurrence.next`. Without it (trigger now, backfill), always, leaving the next run as it is.
   * A job for an occurrence that already has a job of this recurring id is never created, whatever
   * the caller expected: each (recurring id, occurrence) holds at most one job, on every storage. The
   * occurrence is listed in `refused` instead; the rest of the firing goes on. The record's `runs`
   * grows by the number of occurrence jobs created.
   * When it fires, the `history` entries are appended to the record's history in the same commit, in
   * order, stamped with the storage's time, except an entry whose `jobId` is one of this firing's
   * jobs that was not created (its occurrence was refused). The history keeps the latest
   * {@link RECURRING_HISTORY_LIMIT} entries of each recurring job; `recurringUpsert` keeps it.
   */
  recurringFire(params: RecurringFireParams): Promise<RecurringFireResult>;

  /** Announces a server or refreshes its heartbeat. */
  serverHeartbeat(params: { server: Omit<ServerRecord, 'heartbeatAt'> }): Promise<void>;
  /** Removes one server's record (at graceful stop). */
  serverRemove(params: { id: string }): Promise<void>;
  /** Removes servers whose heartbeat is older than `timeoutMs`; returns their ids. */
  serversRemoveDead(params: { timeoutMs: number }): Promise<string[]>;

  /**
   * Adds counts to the stored job metrics, in one commit: a count for a key (period, start, name,
   * queue, series, bin) already stored grows by the given count, so that the counts of several
   * servers add up. Counts of one key given twice add up too.
   */
  metricsRecord(params: MetricsRecordParams): Promise<void>;
  /** The stored counts of one period width whose periods start in `[from, to)`, in any order. Reads only. */
  metricsRead(params: MetricsReadParams): Promise<MetricsCount[]>;
  /** Removes the counts of one period width whose periods start before `before`. */
  metricsExpire(params: MetricsExpireParams): Promise<{ deleted: number }>;

  /**
   * Appends an entry to the audit log in one commit, numbered after every earlier one and stamped
   * with the storage's time, and removes the entries older than the latest `keep`.
   */
  auditAppend(params: AuditAppendParams): Promise<AuditEntry>;
  /** The latest audit entries, newest first, at most `limit`; with `before`, those numbered below it. Reads only. */
  auditList(params: AuditListParams): Promise<AuditEntry[]>;
}

/** Input of {@link Storage.limitsSet}. */
export interface LimitsSetParams {
  scope: LimitScope;
  layer: 'code' | 'operator';
  limits: Limits | null;
  /** Who set an operator's limits (a user name, `cli`), shown beside them. */
  setBy: string | null;
}

/** One gate as {@link Storage.limitsGates} reads it. */
export interface GateReading {
  gate: string;
  state: GateState;
}

/** A scope's stored limits. */
export interface LimitRecord {
  scope: LimitScope;
  /** The limits its definition sets (written when a server with that definition starts). */
  code: Limits | null;
  /** An operator's limits: in force instead of the code's until cleared. */
  operator: { limits: Limits; setBy: string | null; setAt: Date } | null;
  /** How many jobs run under the scope's own gate now. */
  running: number;
}

/** An event a storage emits so that servers wake up without waiting for their next poll. */
export type StorageEvent =
  | { type: 'jobs-enqueued'; queues: string[] }
  | { type: 'jobs-scheduled'; earliestRunAt: number }
  | { type: 'job-state'; id: string; state: JobState };

/** Input of {@link Storage.jobsCreate}. */
export interface JobsCreateParams {
  jobs: NewJob[];
  /** The caller's open transaction to join; only given to storages with `externalTransactions`. */
  transaction?: unknown;
}

/** Output of {@link Storage.jobsCreate}: one entry per input job, in order. */
export interface JobsCreateResult {
  jobs: Array<{ id: string; created: boolean; state: JobState }>;
}

/** Input of {@link Storage.jobsFetch}. */
export interface JobsFetchParams {
  /** Queues in priority order: a later queue is served only when earlier ones have nothing. */
  queues: readonly string[];
  /** Job names this server can run; jobs of other names stay in the queue. `null`: any name. */
  names: readonly string[] | null;
  limit: number;
  /**
   * At most this many of the claimed jobs may be jobs with limits (default: `limit`), for a caller
   * that wants its buffer to hold few places of a limit. A server passes none: it claims jobs with
   * limits ahead like any others (decision 34).
   */
  gatedLimit?: number;
  serverId: string;
  leaseMs: number;
}

/** The outcome a server reports for a job it ran. */
export type CompletionOutcome =
  | { state: 'succeeded'; result: Json; reason: string }
  /** `deadLetter`: the attempts ran out and the job's definition routes it to the dead letters. */
  | { state: 'failed'; error: ErrorRecord; reason: string; deadLetter?: boolean }
  | { state: 'scheduled'; runAt: Date; error: ErrorRecord; reason: string; snoozed?: false }
  /** `ctx.snooze(delay)`: runs again at `runAt`; the attempt does not count and no error is recorded. */
  | {
      state: 'scheduled';
      runAt: Date;
      reason: string;
      snoozed: true;
      error?: undefined;
      /**
       * `rateLimited(delay)`: the first of these gates that the job took is paused until `runAt`
       * (see `pauseCandidatesOf`); absent for a plain snooze.
       */
      pauseGates?: readonly string[];
    }
  | { state: 'enqueued'; reason: string; refundAttempt: boolean };

/** One job's completion. */
export interface Completion {
  id: string;
  leaseToken: string;
  outcome: CompletionOutcome;
}

/** Input of {@link Storage.jobsComplete}. */
export interface JobsCompleteParams {
  completions: Completion[];
  serverId: string;
  /**
   * Passes the places that successes free to the next waiting jobs of the same keys, leased to this
   * server in the same atomic step (only with `capabilities.handover`, decision 53). Only where
   * core's `handoverScopes` allows it, for the storage's limits in force: a job that held only its
   * name's key gate, the name limited by a per-key concurrency alone, in a queue without limits.
   * The next job is the key's first in queue order in the same queue, among `names` (null: any)
   * and `queues`, not in a paused queue, nor under a paused gate. The gate's count is unchanged: the
   * place passes. At most `limit` jobs in all; a place not passed is freed as without a hand-over.
   */
  handover?: Handover;
}

/** What a server can take from a completion write: see {@link JobsCompleteParams.handover}. */
export interface Handover {
  queues: readonly string[];
  names: readonly string[] | null;
  limit: number;
  leaseMs: number;
}

/** Output of {@link Storage.jobsComplete}: `ok: false` when the lease no longer held. */
export interface JobsCompleteResult {
  results: Array<{ id: string; ok: boolean }>;
  /** The jobs a hand-over leased to the server (absent or empty when none), in no particular order. */
  handedOver?: FetchedJob[];
}

/** Input of {@link Storage.jobClaim}. */
export interface JobClaimParams {
  id: string;
  expected: readonly JobState[];
  serverId: string;
  leaseMs: number;
}

/** Input of {@link Storage.jobLeaseExtend}. */
export interface JobLeaseExtendParams {
  leases: Array<{ id: string; leaseToken: string }>;
  leaseMs: number;
}

/** Output of {@link Storage.jobLeaseExtend}: ids whose lease is gone (deleted, requeued, rescued). */
export interface JobLeaseExtendResult {
  lost: string[];
}

/** Input of {@link Storage.jobChange}. */
export interface JobChangeParams {
  id: string;
  /** What to change; the client has checked the values (arguments as enqueue checks them). */
  change: JobChange;
  /** Why: a request (default) or a duplicate enqueue that replaces the job (the history's text says which). */
  cause?: JobChangeCause;
}

/** Output of {@link Storage.jobChange}. */
export interface JobChangeResult {
  /** Whether the change was written. */
  ok: boolean;
  /** The state found; null when the job does not exist. */
  previous: JobState | null;
  /** Why it was refused: the job has started or finished, or its state does not allow these fields. */
  refused?: 'not-waiting' | 'not-allowed';
}

/** Input of {@link Storage.jobSetState}. */
export interface JobSetStateParams {
  id: string;
  /** The change happens only from one of these states. */
  expected: readonly JobState[];
  state: 'enqueued' | 'deleted' | 'failed';
  reason: string;
  /** Extra history data. */
  data?: Json;
  /** Start over: attempts and rescues back to 0 (manual requeue and retry). */
  resetAttempts?: boolean;
  /** The error to store with `failed`. */
  error?: ErrorRecord;
}

/** Output of {@link Storage.jobSetState}. */
export interface JobSetStateResult {
  /** Whether the state changed. */
  ok: boolean;
  /** The state before the call; null when the job does not exist. */
  previous: JobState | null;
}

/** A log line to append. */
export interface NewLogRecord {
  jobId: string;
  attempt: number;
  level: LogLevel;
  message: string;
  at: Date;
}

/** A recurring job to create or replace: the scheduler's bookkeeping fields are the storage's. */
export type RecurringUpsert = Omit<RecurringRecord, 'createdAt' | 'updatedAt' | 'lastRunAt' | 'lastJobId' | 'runs'>;

/** Output of {@link Storage.recurringDue}. */
export interface RecurringDueResult {
  /** The storage's time when it read the due records. */
  now: Date;
  records: RecurringRecord[];
}

/** One job of a recurring firing, with the occurrence it is for. */
export interface RecurringFireJob {
  job: NewJob;
  /** The occurrence (its scheduled time) this job runs; null for a job triggered outside the schedule. */
  occurrence: Date | null;
}

/** Input of {@link Storage.recurringFire}. */
export interface RecurringFireParams {
  id: string;
  occurrence?: { expected: Date; next: Date | null };
  jobs: RecurringFireJob[];
  /** Entries for the record's history, written only when the firing fires. */
  history?: NewRecurringHistory[];
}

/** How many history entries a storage keeps per recurring job: the latest ones. */
export const RECURRING_HISTORY_LIMIT = 100;

/** Output of {@link Storage.recurringFire}. */
export interface RecurringFireResult {
  /** False when the record is gone or its next run was no longer the expected one: nothing was written. */
  fired: boolean;
  /** Ids of the jobs created, in the order given. */
  jobIds: string[];
  /** Occurrences that already had a job of this recurring id: no second job was created for them. */
  refused: Date[];
}

/** The read model for dashboards and tools. Reads only; every list is bounded. */
export interface MonitoringApi {
  /** Job counts per state, and counts of servers and recurring jobs. */
  stats(): Promise<StatsRecord>;
  /** Jobs filtered and paged by cursor, newest first (by id: ids are time-ordered UUIDv7). */
  jobsList(params: JobsListParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }>;
  /** One job with its history (oldest first) and its latest logs (oldest first). */
  jobDetails(params: { id: string; logLimit?: number }): Promise<JobDetails | null>;
  /** Every queue that holds jobs or is paused. */
  queues(): Promise<QueueRecord[]>;
  /** Live servers. */
  servers(): Promise<ServerRecord[]>;
  /** Succeeded and failed counts per hour or day, oldest first, one entry per bucket. */
  timeSeries(params: { bucket: 'hour' | 'day'; from: Date; to: Date }): Promise<TimeSeriesPoint[]>;
}

/** Counts for the overview. */
export interface StatsRecord {
  states: Record<JobState, number>;
  servers: number;
  recurring: number;
}

/** Input of {@link MonitoringApi.jobsList}. */
export interface JobsListParams {
  state?: JobState;
  queue?: string;
  name?: string;
  /** Matches a job id exactly, or a substring of the name or the arguments' JSON. */
  search?: string;
  /** Only jobs created at or after this time. (Ids are time-ordered, so this is an id range.) */
  from?: Date;
  /** Only jobs created at or before this time. */
  to?: Date;
  /** Only jobs whose lease this server holds (or held last). */
  serverId?: string;
  /**
   * `newest` (the default): newest first. `name`: by job name, newest first within a name. Names
   * are in the storage's order: by character code on memory, SQLite, MySQL and Redis, by the
   * database's collation on PostgreSQL (the same under `C`). Like every list, a page may come back
   * short with a cursor when the storage bounds the work of one call (Redis).
   */
  order?: JobsListOrder;
  limit: number;
  cursor?: string | null;
}

/** The orders {@link MonitoringApi.jobsList} can return jobs in. */
export type JobsListOrder = 'newest' | 'name';

/** A job with what the dashboard shows beside it. */
export interface JobDetails {
  job: JobRecord;
  history: HistoryRecord[];
  logs: LogRecord[];
}

/** One bucket of the time series. */
export interface TimeSeriesPoint {
  at: Date;
  succeeded: number;
  failed: number;
}

export type { BackoffSpec };
