import { isUnrecoverable } from '../errors.js';
import type { JobDefinition } from '../job/definition.js';
import { toErrorRecord } from '../job/error-record.js';
import type { ErrorRecord, FetchedJob } from '../job/records.js';
import type { CompletionOutcome } from '../storage/contract.js';
import { retryDelayMs } from './retry-policy.js';

/**
 * The automatic retry filter: elects the state of a job whose attempt threw. `scheduled` with a
 * backoff while attempts remain and the error is recoverable; `failed` otherwise, routed to the
 * dead letters when the definition says `onExhausted: 'dead-letter'` (a job enqueued by name is
 * routed by the definition of the server that runs it, as its retries are).
 */
export function electFailure(
  job: FetchedJob,
  error: unknown,
  definition: JobDefinition | null,
  nowMs: number,
  random: () => number,
): CompletionOutcome {
  const record = toErrorRecord(error);
  const label = `Attempt ${job.attempt} of ${job.maxAttempts} failed: ${record.message}`;
  const deadLetter = definition?.options.onExhausted === 'dead-letter';
  if (isUnrecoverable(error)) {
    return exhausted(record, `${label} (unrecoverable: not retried)`, deadLetter);
  }
  if (job.attempt >= job.maxAttempts) {
    return exhausted(record, `${label} (no attempts left)`, deadLetter);
  }
  const delayMs = retryDelayMs(job.attempt, record, job.backoff, definition?.options.backoff ?? 'default', random);
  return {
    state: 'scheduled',
    runAt: new Date(nowMs + delayMs),
    error: record,
    reason: `${label}; retry in ${formatDelay(delayMs)}`,
  };
}

/** The final failure of a job whose attempts ran out (or that cannot be retried). */
function exhausted(error: ErrorRecord, reason: string, deadLetter: boolean): CompletionOutcome {
  if (!deadLetter) return { state: 'failed', error, reason };
  return { state: 'failed', error, reason: `${reason}; moved to the dead letters`, deadLetter: true };
}

/** A delay for humans: `850 ms`, `42 s`, `5 min`, `2.5 h`. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
