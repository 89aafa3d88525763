import { isUnrecoverable } from '../errors.js';
import type { JobDefinition } from '../job/definition.js';
import { toErrorRecord } from '../job/error-record.js';
import type { FetchedJob } from '../job/records.js';
import type { CompletionOutcome } from '../storage/contract.js';
import { retryDelayMs } from './retry-policy.js';

/**
 * The automatic retry filter: elects the state of a job whose attempt threw. `scheduled` with a
 * backoff while attempts remain and the error is recoverable; `failed` otherwise.
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
  if (isUnrecoverable(error)) {
    return { state: 'failed', error: record, reason: `${label} (unrecoverable: not retried)` };
  }
  if (job.attempt >= job.maxAttempts) {
    return { state: 'failed', error: record, reason: `${label} (no attempts left)` };
  }
  const delayMs = retryDelayMs(job.attempt, record, job.backoff, definition?.options.backoff ?? 'default', random);
  return {
    state: 'scheduled',
    runAt: new Date(nowMs + delayMs),
    error: record,
    reason: `${label}; retry in ${formatDelay(delayMs)}`,
  };
}

/** A delay for humans: `850 ms`, `42 s`, `5 min`, `2.5 h`. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
