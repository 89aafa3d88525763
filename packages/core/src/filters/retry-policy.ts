import type { BackoffOption } from '../job/definition.js';
import type { BackoffSpec, ErrorRecord } from '../job/records.js';
import { parseDuration } from '../options/duration.js';

/**
 * Hangfire's retry curve with jitter, in milliseconds: attempt^4 + 15 s + up to 30 s × attempt.
 * About 16–45 s after the first failure, ~2 hours after the ninth.
 */
export function defaultBackoffMs(attempt: number, random: () => number = Math.random): number {
  const seconds = attempt ** 4 + 15 + Math.floor(random() * 30) * attempt;
  return seconds * 1000;
}

/** The delay before retrying after `attempt` failed, by the job's stored policy or its definition's. */
export function retryDelayMs(
  attempt: number,
  error: ErrorRecord,
  stored: BackoffSpec | null,
  definition: BackoffOption,
  random: () => number = Math.random,
): number {
  const policy: BackoffSpec | ((attempt: number, error: ErrorRecord) => number) = stored ?? toBackoffSpec(definition);
  if (typeof policy === 'function') {
    let ms: number;
    try {
      ms = Number(policy(attempt, error));
    } catch {
      // A policy that throws must not keep the outcome from being recorded: the default curve it is.
      ms = Number.NaN;
    }
    return Number.isFinite(ms) && ms >= 0 ? ms : defaultBackoffMs(attempt, random);
  }
  switch (policy.type) {
    case 'default':
      return defaultBackoffMs(attempt, random);
    case 'fixed':
      return policy.delayMs;
    case 'exponential': {
      const ms = policy.delayMs * 2 ** (attempt - 1);
      return policy.maxDelayMs !== undefined ? Math.min(ms, policy.maxDelayMs) : ms;
    }
    default: {
      const never: never = policy;
      return never;
    }
  }
}

/** A validated backoff option as storable data; functions stay functions (they cannot be stored). */
export function toBackoffSpec(option: BackoffOption): BackoffSpec | ((attempt: number, error: ErrorRecord) => number) {
  if (typeof option === 'function') return option;
  if (option === 'default') return { type: 'default' };
  const delayMs = msOf(option.delay);
  if (option.type === 'fixed') return { type: 'fixed', delayMs };
  return option.maxDelay === undefined ? { type: 'exponential', delayMs } : { type: 'exponential', delayMs, maxDelayMs: msOf(option.maxDelay) };
}

function msOf(value: number | string): number {
  const parsed = parseDuration(value);
  return parsed.ok ? parsed.ms : 0;
}
