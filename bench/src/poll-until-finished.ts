/**
 * How often a burn-down asks the storage how many of its jobs are finished (ms, after each answer):
 * often enough that the clock overshoots by a few ms at most, rarely enough that the asking costs
 * little next to the work it watches.
 */
export const POLL_INTERVAL_MS = 5;

/** When the storage first reported every job finished, and how often it was asked. */
export interface FinishLine {
  /** `performance.now()` when the answer that reported all jobs finished arrived. */
  at: number;
  /** How many times the storage was asked (each poll is one storage call). */
  polls: number;
}

/**
 * Asks `finished` (a count read from the storage, as a user's monitor would read it) every
 * {@link POLL_INTERVAL_MS} until it reports `target` jobs or more; a burn-down's clock stops at that
 * answer, not at the last handler call, because a job is done when storage says so. Rejects if
 * `timeoutMs` (default 10 minutes) pass first, so a run that loses jobs fails instead of hanging.
 */
export async function pollUntilFinished(finished: () => Promise<number>, target: number, timeoutMs = 600_000): Promise<FinishLine> {
  const deadline = performance.now() + timeoutMs;
  let polls = 0;
  let last = 0;
  for (;;) {
    last = await finished();
    polls++;
    const at = performance.now();
    if (last >= target) return { at, polls };
    if (at > deadline) throw new Error(`burn-down: storage reports ${last} of ${target} jobs finished after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
