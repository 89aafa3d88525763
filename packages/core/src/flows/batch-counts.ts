import type { JobState } from '../states/states.js';
import { STATE_FACTS } from '../states/states.js';

/**
 * Counts of a batch's members, or what one change adds to them: `finished` members (succeeded,
 * failed or deleted), of which `succeeded`, and `failed` (failed or deleted). A nested batch is one
 * member of its parent: it counts when it finishes.
 */
export interface BatchCounts {
  finished: number;
  succeeded: number;
  failed: number;
}

/** Whether a member in this state counts as failed for its batch: it finished without success. */
function failedIn(state: JobState): boolean {
  return STATE_FACTS[state].finished && state !== 'succeeded';
}

/**
 * What a member's move `from -> to` adds to its batch's counters, decided once for every storage;
 * null when it adds nothing (most moves: a member that starts, retries or waits). A member that
 * finishes counts once; one that is requeued after it finished is counted back out.
 */
export function batchCountsDelta(from: JobState, to: JobState): BatchCounts | null {
  const finished = Number(STATE_FACTS[to].finished) - Number(STATE_FACTS[from].finished);
  const succeeded = Number(to === 'succeeded') - Number(from === 'succeeded');
  const failed = Number(failedIn(to)) - Number(failedIn(from));
  return finished === 0 && succeeded === 0 && failed === 0 ? null : { finished, succeeded, failed };
}

/** A batch's stored counters and whether it has finished, as {@link batchFinishes} reads them. */
export interface BatchProgress extends BatchCounts {
  total: number;
  /** When the batch finished (its continuations were settled); null while it runs. */
  finishedAt: number | null;
}

/**
 * Whether a batch finishes with the counters it has just reached, and how: it finishes once, when
 * every member has finished, as `succeeded` when none failed, else as `failed` (its continuations
 * are then settled by their policy). `parentDelta` is what it adds to its own parent batch. A
 * member requeued after the batch finished moves the counters but does not finish it again.
 */
export function batchFinishes(batch: BatchProgress): { state: 'succeeded' | 'failed'; parentDelta: BatchCounts } | null {
  if (batch.finishedAt !== null || batch.total === 0 || batch.finished < batch.total) return null;
  const state = batch.failed === 0 ? 'succeeded' : 'failed';
  return { state, parentDelta: { finished: 1, succeeded: state === 'succeeded' ? 1 : 0, failed: state === 'failed' ? 1 : 0 } };
}

/** Adds `delta` to `counts` in place and returns them. */
export function addBatchCounts<T extends BatchCounts>(counts: T, delta: BatchCounts): T {
  counts.finished += delta.finished;
  counts.succeeded += delta.succeeded;
  counts.failed += delta.failed;
  return counts;
}
