import type { ErrorRecord, Json } from '../job/records.js';
import type { JobState } from './states.js';
import { STATE_FACTS, canTransition } from './states.js';
import type { BatchCounts } from '../flows/batch-counts.js';
import { batchCountsDelta } from '../flows/batch-counts.js';

/** How long one bucket of the succeeded/failed time series is. */
export const SERIES_BUCKET_MS = 3_600_000;

/** Why a job changes state: who asks, and what they bring. */
export type ChangeCause =
  /** A server (or `perform`) leases an enqueued job: enqueued -> processing. */
  | { kind: 'claim'; leaseToken: string; leaseExpiresAt: number }
  /** The lease holder records a success. */
  | { kind: 'succeeded'; result: Json }
  /**
   * The lease holder records a final failure, or an operator fails a job with an error;
   * `deadLetter`: its attempts ran out and its definition routes it to the dead letters.
   */
  | { kind: 'failed'; error: ErrorRecord; deadLetter?: boolean }
  /** The lease holder schedules a retry. */
  | { kind: 'retry'; error: ErrorRecord; runAt: number }
  /**
   * The lease holder defers its job (`ctx.snooze`, or `rateLimited` with `pauseGates`): it runs again
   * at `runAt`, the attempt not counted.
   */
  | { kind: 'snooze'; runAt: number; pauseGates?: readonly string[] }
  /** The lease holder hands its job back (shutdown); `refundAttempt`: the interrupted attempt does not count. */
  | { kind: 'returned'; refundAttempt: boolean }
  /** The watchdog returns a job whose lease expired (`poisoned`: rescued too often, so failed instead). */
  | { kind: 'rescue'; poisoned: boolean; error?: ErrorRecord }
  /** The scheduler enqueues a due job. */
  | { kind: 'promotion' }
  /**
   * A parent's final change releases (enqueued) or cancels (deleted) a waiting continuation, or
   * fails (failed, with `error`) a step whose dependency says so.
   */
  | { kind: 'parent'; parentId: string; error?: ErrorRecord }
  /** An operator (or the client) requeues, deletes or fails a job; `resetAttempts`: start over. */
  | { kind: 'operator'; resetAttempts: boolean; error?: ErrorRecord | null };

/** Input of {@link decideStateChange}: the change asked for, and the stored facts it depends on. */
export interface StateChangeRequest {
  from: JobState;
  to: JobState;
  cause: ChangeCause;
  /** The storage clock's time. */
  now: number;
  reason: string;
  /** Extra history data. */
  data: Json;
  /** The server named in the history entry. */
  serverId: string | null;
}

/** A field the change sets to a value, or leaves as it is. */
export type Assign<T> = { set: T } | 'keep';

/**
 * Everything one state change writes, decided once in core. A storage translates it into its one
 * atomic write (SQL parameters, Lua arguments, a memory mutation) and derives no rule of its own.
 * What needs the stored rows themselves (who else holds a unique key, which continuations wait)
 * stays in the storage's write, driven by `uniqueKey` and `settleContinuations`.
 */
export interface StateChange {
  from: JobState;
  to: JobState;
  updatedAt: number;
  finishedAt: Assign<number | null>;
  runAt: Assign<number | null>;
  /**
   * Whether the job is removed after its retention, counted from `updatedAt` (a job kept for ever
   * has no retention and never expires); false: it does not expire in its new state.
   */
  expires: boolean;
  /** `count`: one more attempt; `refund`: one fewer (never below 0); `reset`: back to 0. */
  attempts: 'keep' | 'count' | 'refund' | 'reset';
  /** `count`: one more lease rescue; `reset`: back to 0. */
  rescues: 'keep' | 'count' | 'reset';
  /** `complete`: a job that reported progress ends at 100. */
  progress: 'keep' | 'complete';
  result: Assign<Json>;
  error: Assign<ErrorRecord | null>;
  /**
   * The dead-letter mark: set (when, and the error's name the dead letters are grouped by) when a
   * job's exhausted failure is routed to the dead letters; cleared whenever a job enters `failed`
   * otherwise or leaves it (a retry, a redrive, a delete), so only a failed job carries it.
   */
  deadLetter: Assign<{ at: number; errorName: string } | null>;
  /**
   * The lease after the change: `take` a new one (claim); `end` it but keep the token, so that a repeat
   * of the holder's completion is recognised (decision 8); `clear` it and its token (anyone else's change).
   */
  lease: { take: string; expiresAt: number } | 'end' | 'clear';
  /** `back`: the job goes behind the jobs already waiting in its queue. */
  queuePosition: 'back' | 'keep';
  /**
   * Counters: `state:<down>` one down, `state:<up>` one up, the job's queue's waiting count by
   * `queue` (-1, 0 or 1), and the time-series bucket to count a success or failure in.
   */
  counters: { down: JobState; up: JobState; queue: -1 | 0 | 1; series: { state: 'succeeded' | 'failed'; bucket: number } | null };
  /** The history entry the change appends. */
  history: { state: JobState; reason: string; data: Json; at: number; serverId: string | null };
  /** A job that becomes active again must not take a unique key that another active job now holds. */
  uniqueKey: 'check-holder' | 'keep';
  /**
   * Whether the continuations waiting for this job are settled in the same write. The same flag
   * settles the job's dependents of batches and flows (decision 46), when the job has any.
   */
  settleContinuations: boolean;
  /**
   * What the change adds to the counters of the job's batch, when it belongs to one; null when it
   * adds nothing (see {@link batchCountsDelta}).
   */
  batch: BatchCounts | null;
  /**
   * `release`: the job leaves `processing`, so it gives back every flow-control gate it took when it
   * started (whatever the way out: outcome, rescue, operator). A storage frees them in the same write.
   */
  limits: 'release' | 'keep';
  /**
   * A rate-limited job (`rateLimited(delay)`): the storage pauses the first of `candidates` that the
   * job took when it started (`gateToPause`) until `until`, keeping a later pause already stored, in
   * the same write that releases the job's gates. Null: no gate is paused.
   */
  pause: { candidates: readonly string[]; until: number } | null;
  /** What the storage emits once the write commits. */
  events: { state: JobState; enqueued: boolean; scheduledAt: number | null };
}

/** The reason appended when a job that becomes active again loses a unique key another job now holds. */
export function uniqueKeyReleasedReason(reason: string, key: string, holderId: string): string {
  return `${reason} (unique key "${key}" is held by job ${holderId}; released from this job)`;
}

/**
 * Decides what a state change writes. Pure: the same request always gives the same record, and it
 * reads nothing but its input (the job's stored facts that a write needs, such as its retention,
 * are read by the storage's write itself, as the record's fields say). Throws on a transition the table does not allow, or a cause that does
 * not fit it (a storage bug, not a user error).
 */
export function decideStateChange(request: StateChangeRequest): StateChange {
  const { from, to, cause, now } = request;
  if (from !== to && !canTransition(from, to)) throw new Error(`No transition ${from} -> ${to} in the transitions table`);
  assertCauseFits(from, to, cause);
  const facts = STATE_FACTS[to];
  const finished = facts.finished;
  const change: StateChange = {
    from,
    to,
    updatedAt: now,
    // A finished job records when; a job that goes back to waiting is not finished any more.
    finishedAt: finished ? { set: now } : to === 'enqueued' || to === 'scheduled' ? { set: null } : 'keep',
    runAt: to === 'scheduled' ? { set: cause.kind === 'retry' || cause.kind === 'snooze' ? cause.runAt : now } : to === 'enqueued' ? { set: null } : 'keep',
    expires: facts.expires,
    attempts: attemptsOf(cause),
    // A poisoned job is failed, not returned: it was not rescued once more.
    rescues: cause.kind === 'rescue' && !cause.poisoned ? 'count' : cause.kind === 'operator' && cause.resetAttempts ? 'reset' : 'keep',
    progress: to === 'succeeded' ? 'complete' : 'keep',
    result: cause.kind === 'succeeded' ? { set: cause.result } : 'keep',
    error: errorOf(cause),
    deadLetter: deadLetterOf(from, to, cause, now),
    lease: leaseOf(cause),
    queuePosition: to === 'enqueued' ? 'back' : 'keep',
    counters: {
      down: from,
      up: to,
      queue: ((to === 'enqueued' ? 1 : 0) - (from === 'enqueued' ? 1 : 0)) as -1 | 0 | 1,
      series: to === 'succeeded' || to === 'failed' ? { state: to, bucket: Math.floor(now / SERIES_BUCKET_MS) * SERIES_BUCKET_MS } : null,
    },
    history: { state: to, reason: request.reason, data: request.data, at: now, serverId: request.serverId },
    uniqueKey: facts.active && !STATE_FACTS[from].active ? 'check-holder' : 'keep',
    settleContinuations: finished,
    batch: batchCountsDelta(from, to),
    limits: from === 'processing' && to !== 'processing' ? 'release' : 'keep',
    pause: cause.kind === 'snooze' && cause.pauseGates !== undefined ? { candidates: cause.pauseGates, until: cause.runAt } : null,
    events: { state: to, enqueued: to === 'enqueued', scheduledAt: to === 'scheduled' ? (cause.kind === 'retry' || cause.kind === 'snooze' ? cause.runAt : now) : null },
  };
  return change;
}

function attemptsOf(cause: ChangeCause): StateChange['attempts'] {
  switch (cause.kind) {
    case 'claim':
      return 'count';
    case 'returned':
      return cause.refundAttempt ? 'refund' : 'keep';
    case 'snooze':
      return 'refund';
    case 'operator':
      return cause.resetAttempts ? 'reset' : 'keep';
    case 'succeeded':
    case 'failed':
    case 'retry':
    case 'rescue':
    case 'promotion':
    case 'parent':
      return 'keep';
    default: {
      const never: never = cause;
      return never;
    }
  }
}

function errorOf(cause: ChangeCause): StateChange['error'] {
  switch (cause.kind) {
    case 'failed':
    case 'retry':
      return { set: cause.error };
    case 'rescue':
    case 'operator':
    case 'parent':
      return cause.error !== undefined ? { set: cause.error } : 'keep';
    case 'claim':
    case 'succeeded':
    case 'returned':
    case 'snooze':
    case 'promotion':
      return 'keep';
    default: {
      const never: never = cause;
      return never;
    }
  }
}

function deadLetterOf(from: JobState, to: JobState, cause: ChangeCause, now: number): StateChange['deadLetter'] {
  if (cause.kind === 'failed' && cause.deadLetter === true) return { set: { at: now, errorName: cause.error.name } };
  return to === 'failed' || from === 'failed' ? { set: null } : 'keep';
}

function leaseOf(cause: ChangeCause): StateChange['lease'] {
  switch (cause.kind) {
    case 'claim':
      return { take: cause.leaseToken, expiresAt: cause.leaseExpiresAt };
    case 'succeeded':
    case 'failed':
    case 'retry':
    case 'snooze':
    case 'returned':
      // The holder's own change: the token stays, so that a repeat of it is recognised (decision 8).
      return 'end';
    case 'rescue':
    case 'promotion':
    case 'parent':
    case 'operator':
      return 'clear';
    default: {
      const never: never = cause;
      return never;
    }
  }
}

/** The states each cause may move a job between. */
const CAUSE_MOVES: Readonly<Record<ChangeCause['kind'], ReadonlyArray<readonly [JobState | '*', JobState]>>> = {
  claim: [['enqueued', 'processing']],
  succeeded: [['processing', 'succeeded']],
  failed: [
    ['processing', 'failed'],
    ['*', 'failed'],
  ],
  retry: [['processing', 'scheduled']],
  snooze: [['processing', 'scheduled']],
  returned: [['processing', 'enqueued']],
  rescue: [
    ['processing', 'enqueued'],
    ['processing', 'failed'],
  ],
  promotion: [['scheduled', 'enqueued']],
  parent: [
    ['awaiting', 'enqueued'],
    ['awaiting', 'deleted'],
    ['awaiting', 'failed'],
  ],
  operator: [
    ['*', 'enqueued'],
    ['*', 'deleted'],
    ['*', 'failed'],
  ],
};

function assertCauseFits(from: JobState, to: JobState, cause: ChangeCause): void {
  const fits = CAUSE_MOVES[cause.kind].some(([a, b]) => (a === '*' || a === from) && b === to);
  if (!fits) throw new Error(`A ${cause.kind} cannot move a job from ${from} to ${to}`);
}
