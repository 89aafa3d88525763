import type { FetchedJob, HistoryRecord, JobRecord, LogRecord, RecurringHistoryRecord, RecurringRecord, ServerRecord } from '../../job/records.js';
import type { GateState } from '../../limits/admission.js';
import type { Dependency } from '../../flows/dependency.js';
import type { Limits, LimitScope } from '../../limits/limits.js';
import type { JobState } from '../../states/states.js';
import { JOB_STATES } from '../../states/states.js';

/** A job as the memory storage keeps it. */
export interface MemoryJob extends JobRecord {
  /** The lease of a processing job, or the lease whose completion was the job's last change. */
  leaseToken: string | null;
  history: HistoryRecord[];
  logs: LogRecord[];
  /** The flow-control gates a processing job took when it started (given back when it leaves processing). */
  heldGates: string[] | null;
  /** The error name a dead letter is grouped by (decided with its mark), else null. */
  deadLetterError: string | null;
  /** A member of a batch or a job of a flow: its batch, pending dependencies and dependents. Absent for other jobs, which pay nothing. */
  flow?: MemoryFlowFacts;
}

/** What the memory storage keeps of a job of a batch or a flow. */
export interface MemoryFlowFacts {
  batchId: string | null;
  /** Dependencies not settled yet: released at 0. */
  pending: number;
  hasDependents: boolean;
}

/** A batch as the memory storage keeps it. */
export interface MemoryBatch {
  id: string;
  description: string | null;
  parentBatchId: string | null;
  total: number;
  finished: number;
  succeeded: number;
  failed: number;
  createdAt: number;
  finishedAt: number | null;
  cancelledAt: number | null;
  /** Member job ids. */
  jobs: Set<string>;
  /** Nested batch ids. */
  children: Set<string>;
}

/** All data of one memory storage. Plain maps: the memory storage is single-process by nature. */
export class MemoryState {
  readonly jobs = new Map<string, MemoryJob>();
  /**
   * Enqueued jobs per queue, then per priority, each in (re)enqueue order: a Map keeps insertion
   * order, and a requeue deletes and re-inserts, so iteration order is queue order.
   */
  readonly enqueued = new Map<string, Map<number, Map<string, MemoryJob>>>();
  readonly scheduled = new Map<string, MemoryJob>();
  readonly processing = new Map<string, MemoryJob>();
  /** Dead letters by id: what the dead-letter lists and counts read, never every job. */
  readonly deadLetters = new Map<string, MemoryJob>();
  /** Active jobs by unique key. */
  readonly unique = new Map<string, string>();
  /** Awaiting continuations by parent id. */
  readonly children = new Map<string, Set<string>>();
  readonly counts: Record<JobState, number> = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  /** Succeeded and failed counts per hour bucket (ms since epoch of the hour's start). */
  readonly hourly = new Map<number, { succeeded: number; failed: number }>();
  readonly pausedQueues = new Set<string>();
  readonly recurring = new Map<string, RecurringRecord>();
  /** Each recurring job's history, oldest first, the latest RECURRING_HISTORY_LIMIT entries. */
  readonly recurringHistory = new Map<string, RecurringHistoryRecord[]>();
  /** The job of each recurring occurrence, by `occurrenceKey`: at most one job per occurrence. */
  readonly occurrences = new Map<string, string>();
  /** The occurrence key of each job that holds one, so that expiry frees it with the job. */
  readonly occurrenceOf = new Map<string, string>();
  readonly servers = new Map<string, ServerRecord>();
  /** Stored limits by scope id. */
  readonly limits = new Map<string, { scope: LimitScope; code: Limits | null; operator: { limits: Limits; setBy: string | null; setAt: Date } | null }>();
  /** What each flow-control gate holds; a gate holding nothing is absent. */
  readonly gates = new Map<string, GateState>();
  /** Batches by id. */
  readonly batches = new Map<string, MemoryBatch>();
  /** Unsettled dependencies by parent id (a job's or a batch's). */
  readonly dependents = new Map<string, Dependency[]>();
}

/** A copy of a job as a record, safe to hand out (no shared mutable state). */
export function toRecord(job: MemoryJob): JobRecord {
  const { leaseToken: _lease, history: _history, logs: _logs, heldGates: _gates, deadLetterError: _deadLetterError, flow: _flow, ...record } = job;
  return structuredClone(record);
}

/** A copy of a job with its lease token, as a fetch returns it. */
export function toFetched(job: MemoryJob): FetchedJob {
  return { ...toRecord(job), leaseToken: job.leaseToken! };
}

/** Every enqueued job of one queue, in no particular order. */
export function* enqueuedIn(state: MemoryState, queue: string): Generator<MemoryJob> {
  for (const byId of state.enqueued.get(queue)?.values() ?? []) yield* byId.values();
}

/** The key of one occurrence of one recurring job. */
export function occurrenceKey(recurringId: string, occurrence: Date): string {
  return `${recurringId}\u0000${occurrence.getTime()}`;
}
