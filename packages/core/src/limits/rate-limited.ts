import { ConfigError, JobRateLimitedSignal } from '../errors.js';
import type { Duration } from '../options/duration.js';
import { parseDuration } from '../options/duration.js';
import { KEY_SEPARATOR } from './admission.js';

/**
 * The error a handler throws when a remote answered "too many requests" (HTTP 429):
 * `throw rateLimited('30s')`. The job goes back to waiting for the delay, without consuming an
 * attempt or recording an error, and the gate it ran under pauses as long on every server: its
 * key's gate when it has a key, else its job name's, else its queue's. Other keys keep running.
 * A job that took no gate (nothing limits it) is only deferred itself.
 */
export function rateLimited(delay: Duration): JobRateLimitedSignal {
  const parsed = parseDuration(delay);
  if (!parsed.ok) throw new ConfigError([{ path: 'rateLimited(delay)', message: parsed.message }]);
  if (parsed.ms < 1) throw new ConfigError([{ path: 'rateLimited(delay)', message: 'expected a delay of at least 1 ms' }]);
  return new JobRateLimitedSignal(parsed.ms);
}

/**
 * The gates a rate-limited job may pause, most specific first: its key's gate in its name's scope,
 * then in its queue's scope, then its name's own gate, then its queue's. The storage pauses the
 * first of them that the job took when it started (those are the gates its limits name).
 */
export function pauseCandidatesOf(job: { queue: string; name: string; limitKey: string | null }): string[] {
  const keyed = job.limitKey === null ? [] : [`job:${job.name}${KEY_SEPARATOR}${job.limitKey}`, `queue:${job.queue}${KEY_SEPARATOR}${job.limitKey}`];
  return [...keyed, `job:${job.name}`, `queue:${job.queue}`];
}

/** The gate a storage pauses: the first candidate the job holds, or null when it holds none. */
export function gateToPause(candidates: readonly string[], held: readonly string[] | null): string | null {
  if (held === null || held.length === 0) return null;
  return candidates.find((gate) => held.includes(gate)) ?? null;
}

/** The history reason of a rate-limited job. */
export function rateLimitedReason(until: Date): string {
  return `Rate limited by a remote until ${until.toISOString()} (the attempt does not count); its gate is paused until then`;
}
