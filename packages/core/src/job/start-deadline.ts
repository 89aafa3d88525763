import { JobExpiredError } from '../errors.js';
import type { CompletionOutcome, JobSetStateParams } from '../storage/contract.js';
import { toErrorRecord } from './error-record.js';
import type { FetchedJob, Json } from './records.js';

/** The job parameter that holds a job's start deadline (see {@link startDeadlineParameter}). */
export const START_DEADLINE_PARAMETER = 'spool.startBy';

/** What happens to a job not started within its time-to-live: deleted (the default) or failed. */
export type OnExpire = 'delete' | 'fail';

/** A job's start deadline: when it became due, how long it may wait after that, and what then. */
export interface StartDeadline {
  dueAt: number;
  ttlMs: number;
  onExpire: OnExpire;
}

/**
 * The parameter value of a start deadline. Kept as a job parameter, which every storage already
 * stores and returns with the claimed job: a deadline costs no column, index or query, and a job
 * without one pays nothing (decision 45).
 */
export function startDeadlineParameter(deadline: StartDeadline): Json {
  return { due: new Date(deadline.dueAt).toISOString(), ttlMs: deadline.ttlMs, onExpire: deadline.onExpire };
}

/**
 * A new job's parameters with its start deadline, when it has a time-to-live: `dueAt` is when it
 * becomes due (enqueued now, scheduled at its run time, a recurring occurrence at its time); null
 * for a continuation, whose due time is its parent's finish, which is not known: none is set then.
 */
export function withStartDeadline(parameters: Record<string, Json>, ttl: { ttlMs: number | null; onExpire: OnExpire }, dueAt: number | null): Record<string, Json> {
  if (ttl.ttlMs === null || dueAt === null) return parameters;
  return { ...parameters, [START_DEADLINE_PARAMETER]: startDeadlineParameter({ dueAt, ttlMs: ttl.ttlMs, onExpire: ttl.onExpire }) };
}

/** A job's start deadline from its parameters, or null when it has none (or an unreadable one). */
export function readStartDeadline(parameters: Readonly<Record<string, Json>>): StartDeadline | null {
  const value = parameters[START_DEADLINE_PARAMETER];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const dueAt = typeof value.due === 'string' ? Date.parse(value.due) : Number.NaN;
  const { ttlMs, onExpire } = value;
  if (Number.isNaN(dueAt) || typeof ttlMs !== 'number' || (onExpire !== 'delete' && onExpire !== 'fail')) return null;
  return { dueAt, ttlMs, onExpire };
}

/** What a claim of a late job records instead of running it, decided by {@link decideLateStart}. */
export interface LateStart {
  onExpire: OnExpire;
  reason: string;
  error: JobExpiredError;
}

/**
 * Decides whether a job just claimed is too late to run: it has a start deadline, it is its first
 * start (attempt 1: a job that has started once is not held to it, retries are its policy's), and
 * the storage's claim time (`startedAt`) is past due + ttl. Pure; the server records the answer
 * instead of running the handler, so a late job never runs.
 */
export function decideLateStart(job: Pick<FetchedJob, 'id' | 'attempt' | 'parameters' | 'startedAt'>): LateStart | null {
  if (job.attempt !== 1 || job.startedAt === null) return null;
  const deadline = readStartDeadline(job.parameters);
  if (deadline === null) return null;
  const claimedAt = job.startedAt.getTime();
  if (claimedAt <= deadline.dueAt + deadline.ttlMs) return null;
  const error = new JobExpiredError(job.id, deadline.dueAt, deadline.ttlMs, claimedAt);
  const done = deadline.onExpire === 'delete' ? 'deleted' : 'failed';
  return {
    onExpire: deadline.onExpire,
    reason: `Not started within its time-to-live (${deadline.ttlMs} ms after it was due at ${new Date(deadline.dueAt).toISOString()}): ${done} unrun`,
    error,
  };
}

/** The completion that fails a late job (onExpire `fail`): no retry, the expiry as its error. */
export function lateStartFailure(late: LateStart): CompletionOutcome {
  return { state: 'failed', error: toErrorRecord(late.error), reason: late.reason };
}

/** The state change that deletes a late job (onExpire `delete`), guarded on its claim. */
export function lateStartDeletion(jobId: string, late: LateStart): JobSetStateParams {
  return { id: jobId, expected: ['processing'], state: 'deleted', reason: late.reason, data: { expired: { code: late.error.code, ttlMs: late.error.ttlMs, dueAt: new Date(late.error.dueAt).toISOString() } } };
}
