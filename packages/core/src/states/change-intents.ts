import type { ErrorRecord, Json } from '../job/records.js';
import type { CompletionOutcome, JobSetStateParams } from '../storage/contract.js';
import type { ChangeCause } from './state-change.js';
import type { ContinuationOn, JobState } from './states.js';
import { CONTINUATION_TEXTS, continuationOutcome } from './states.js';

/**
 * A change a storage is about to make, before the decision: where the job goes, why, and the
 * history entry's text and data. Every storage builds these with the functions below, so the
 * texts and data an operator reads are the same on every storage; {@link decideStateChange} then
 * turns (from, intent) into what the write must do.
 */
export interface ChangeIntent {
  to: JobState;
  cause: ChangeCause;
  reason: string;
  data: Json;
}

/** The texts of a claim, for the storages (and the generated Lua) that build them from their parts. */
export const CLAIM_TEXTS = {
  started: (serverId: string) => `Started by server ${serverId}`,
} as const;

/** The change of a server claiming an enqueued job under a new lease, for its `attempt` (counted from 1). */
export function claimIntent(serverId: string, attempt: number, leaseToken: string, leaseExpiresAt: number): ChangeIntent {
  return { to: 'processing', cause: { kind: 'claim', leaseToken, leaseExpiresAt }, reason: CLAIM_TEXTS.started(serverId), data: { serverId, attempt } };
}

/** The change that records a lease holder's outcome. */
export function completionIntent(outcome: CompletionOutcome): ChangeIntent {
  switch (outcome.state) {
    case 'succeeded':
      return { to: 'succeeded', cause: { kind: 'succeeded', result: outcome.result }, reason: outcome.reason, data: null };
    case 'failed':
      if (outcome.deadLetter === true) {
        return {
          to: 'failed',
          cause: { kind: 'failed', error: outcome.error, deadLetter: true },
          reason: outcome.reason,
          data: { error: errorData(outcome.error), deadLetter: true },
        };
      }
      return { to: 'failed', cause: { kind: 'failed', error: outcome.error }, reason: outcome.reason, data: { error: errorData(outcome.error) } };
    case 'scheduled':
      if (outcome.snoozed) {
        const runAt = outcome.runAt.getTime();
        if (outcome.pauseGates !== undefined) {
          return {
            to: 'scheduled',
            cause: { kind: 'snooze', runAt, pauseGates: outcome.pauseGates },
            reason: outcome.reason,
            data: { runAt: outcome.runAt.toISOString(), snoozed: true, rateLimited: true },
          };
        }
        return { to: 'scheduled', cause: { kind: 'snooze', runAt }, reason: outcome.reason, data: { runAt: outcome.runAt.toISOString(), snoozed: true } };
      }
      return {
        to: 'scheduled',
        cause: { kind: 'retry', error: outcome.error, runAt: outcome.runAt.getTime() },
        reason: outcome.reason,
        data: { error: errorData(outcome.error), runAt: outcome.runAt.toISOString() },
      };
    case 'enqueued':
      return { to: 'enqueued', cause: { kind: 'returned', refundAttempt: outcome.refundAttempt }, reason: outcome.reason, data: null };
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/** An operator's (or the client's) compare-and-set of a job's state. */
export function operatorIntent(params: JobSetStateParams): ChangeIntent {
  const cause: ChangeCause =
    params.state === 'failed'
      ? { kind: 'operator', resetAttempts: params.resetAttempts === true, error: params.error ?? null }
      : { kind: 'operator', resetAttempts: params.resetAttempts === true };
  return { to: params.state, cause, reason: params.reason, data: params.data ?? null };
}

/** A job claimed to run now out of turn (`runNow`) is first put in its queue. */
export const CLAIM_NOW_INTENT: ChangeIntent = Object.freeze({
  to: 'enqueued',
  cause: Object.freeze({ kind: 'operator', resetAttempts: false }),
  reason: 'Claimed to run now',
  data: null,
});

/** A scheduled job whose due time has come is enqueued. */
export const PROMOTION_INTENT: ChangeIntent = Object.freeze({ to: 'enqueued', cause: Object.freeze({ kind: 'promotion' }), reason: 'Due time reached', data: null });

/** The texts of a rescue, for the storages (and the generated Lua) that build them from their parts. */
export const RESCUE_TEXTS = {
  returned: (serverId: string) => `Lease expired on server ${serverId}: returned to the queue`,
  poisoned: (rescues: string) => `Lease expired ${rescues} times: failed as a poison pill`,
  poisonMessage: (rescues: string) => `The job's lease expired ${rescues} times (its server died or stalled each time); failed as a poison pill.`,
} as const;

/** The error stored with a job failed as a poison pill after too many rescues. */
export function poisonError(rescues: number | string): ErrorRecord {
  return { name: 'LeaseExpiredError', code: 'ERR_LEASE_EXPIRED', message: RESCUE_TEXTS.poisonMessage(String(rescues)) };
}

/**
 * The change for a processing job whose lease expired: back to its queue with one more rescue, or
 * failed as a poison pill when that would exceed `maxRescues`. `job.rescues` counts the rescues so far.
 */
export function rescueIntent(job: { rescues: number; serverId: string | null }, maxRescues: number): ChangeIntent {
  const rescues = job.rescues + 1;
  const data = { serverId: job.serverId };
  if (rescues > maxRescues) {
    return { to: 'failed', cause: { kind: 'rescue', poisoned: true, error: poisonError(rescues) }, reason: RESCUE_TEXTS.poisoned(String(rescues)), data };
  }
  return { to: 'enqueued', cause: { kind: 'rescue', poisoned: false }, reason: RESCUE_TEXTS.returned(job.serverId ?? 'unknown'), data };
}


/**
 * The change for a continuation (waiting with `on`) whose parent has just moved to `parentState`:
 * released into its queue, cancelled, or none (it keeps waiting).
 */
export function continuationIntent(parentId: string, parentState: JobState, on: ContinuationOn): ChangeIntent | null {
  const outcome = continuationOutcome(parentState, on);
  if (outcome === 'wait') return null;
  const cause: ChangeCause = { kind: 'parent', parentId };
  const data = { parentId };
  return outcome === 'release'
    ? { to: 'enqueued', cause, reason: CONTINUATION_TEXTS.released(parentId, parentState), data }
    : { to: 'deleted', cause, reason: CONTINUATION_TEXTS.cancelled(parentId, parentState, on), data };
}

/**
 * A job whose key is at its concurrency limit under `onLocked: 'skip'` is deleted when a claim
 * reaches it, naming the gate (a mutex that drops what overlaps; see limits/admission.ts).
 */
export function limitSkipIntent(gate: string, reason: string): ChangeIntent {
  return { to: 'deleted', cause: { kind: 'operator', resetAttempts: false }, reason, data: { gate } };
}

/** An error record as history data (it is plain JSON already). */
function errorData(error: ErrorRecord): Json {
  return error as unknown as Json;
}
