import { ConfigError } from '../errors.js';
import type { ConfigProblem } from '../errors.js';
import type { Json } from '../job/records.js';
import type { Duration } from '../options/duration.js';
import { describe, parseDuration } from '../options/duration.js';

/** At most `limit` starts in each window of `per` (fixed windows on the storage's clock). */
export interface RateLimitOption {
  limit: number;
  per: Duration;
}

/** What a key's share of a limited scope may use. */
export interface PerKeyLimitOption {
  /** At most this many jobs of one key run at once, across every server. */
  concurrency?: number;
  /** At most this many starts of one key per window. */
  rate?: RateLimitOption;
  /**
   * What happens to a job whose key is at its concurrency limit when a server reaches it: `'wait'`
   * (default) leaves it in the queue until a slot frees; `'skip'` deletes it (a mutex that drops
   * what overlaps).
   */
  onLocked?: 'wait' | 'skip';
}

/**
 * Flow control of a queue or a job name: how many of its jobs run at once across every server, how
 * many start per window, and the same per key. A job held back by a limit stays enqueued; it never
 * occupies a server's slot while it waits.
 */
export interface LimitsOption {
  /** At most this many jobs of the scope run at once, across every server. */
  concurrency?: number;
  /** At most this many starts per window. */
  rate?: RateLimitOption;
  /** Limits per key: each job's key comes from its definition's `key` function or its enqueue's `limitKey`. */
  perKey?: PerKeyLimitOption;
  /**
   * A queue's bound: at most this many of its jobs wait enqueued; an enqueue that would go past it
   * is refused (`ERR_QUEUE_FULL`) or waits for room (`onFull: 'wait'`). Queues only. See
   * docs/flow-control.md#bounded-queues.
   */
  maxSize?: number;
}

/** The limits of a job definition: {@link LimitsOption} with the function that gives a job its key. */
export interface JobLimitsOption<Args = unknown> extends LimitsOption {
  /** The key of a job, from its arguments (a customer, a tenant): per-key limits apply to each key. */
  key?: (args: Args) => string | number | null | undefined;
}

/** A rate limit as stored: milliseconds. */
export interface RateLimit {
  limit: number;
  perMs: number;
}

/** Limits as stored and compared: plain JSON, every field present. */
export interface Limits {
  concurrency: number | null;
  rate: RateLimit | null;
  perKey: { concurrency: number | null; rate: RateLimit | null; onLocked: 'wait' | 'skip' } | null;
  /** A queue's bound on its enqueued jobs (null: unbounded). */
  maxSize: number | null;
}

/** What a limit applies to: every job of a queue, or every job of a name. */
export type LimitScope = { queue: string } | { job: string };

/** The job parameter that holds a job's key for per-key limits. */
export const LIMIT_KEY_PARAMETER = 'spool.limitKey';

/** The longest key kept: longer keys are refused at enqueue. */
export const MAX_LIMIT_KEY_LENGTH = 200;

const MAX_COUNT = 1_000_000;

/** The scope's id in storage and in gate ids: `queue:<name>` or `job:<name>`. */
export function scopeId(scope: LimitScope): string {
  return 'queue' in scope ? `queue:${scope.queue}` : `job:${scope.job}`;
}

/** The scope an id names (the inverse of {@link scopeId}). */
export function scopeOf(id: string): LimitScope {
  if (id.startsWith('queue:')) return { queue: id.slice(6) };
  if (id.startsWith('job:')) return { job: id.slice(4) };
  throw new Error(`Not a limit scope id: ${id}`);
}

/** Checks a scope given by a caller. */
export function checkScope(value: unknown, where: string): LimitScope {
  const v = value as { queue?: unknown; job?: unknown } | null;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    if (keys.length === 1 && typeof v.queue === 'string' && v.queue.length > 0) return { queue: v.queue };
    if (keys.length === 1 && typeof v.job === 'string' && v.job.length > 0) return { job: v.job };
  }
  throw new ConfigError([{ path: where, message: `expected { queue: 'name' } or { job: 'name' }, got ${describe(value)}` }]);
}

/**
 * Validates limits given by code or an operator and returns their stored form; every problem is
 * reported at once. `{}` (no limit at all) is refused: clear the limits instead. `maxSize` is
 * accepted only where `allowMaxSize` says (a queue's limits), `key` only where `allowKey` says (a
 * job definition's).
 */
export function resolveLimits(value: unknown, where: string, allowKey = false, allowMaxSize = !allowKey): Limits {
  const problems: ConfigProblem[] = [];
  const v = asObject(value, where, problems);
  if (!v) throw new ConfigError(problems);
  const known = ['concurrency', 'rate', 'perKey', ...(allowKey ? ['key'] : []), ...(allowMaxSize ? ['maxSize'] : [])];
  if (!allowMaxSize && v.maxSize !== undefined) {
    problems.push({
      path: `${where}.maxSize`,
      message: "bounds a queue, not a job name; set it on the queue (Spool's queues option, or spool.limits.set({ queue }, { maxSize }))",
    });
  }
  // maxSize where it is not allowed has its own problem above, not "unknown option".
  unknownKeys(v, [...new Set([...known, 'maxSize'])], where, problems);
  if (allowKey && v.key !== undefined && typeof v.key !== 'function') {
    problems.push({ path: `${where}.key`, message: `expected a function (args) => key, got ${describe(v.key)}` });
  }
  const concurrency = count(v.concurrency, `${where}.concurrency`, problems);
  const rate = rateOf(v.rate, `${where}.rate`, problems);
  const maxSize = allowMaxSize ? count(v.maxSize, `${where}.maxSize`, problems) : null;
  let perKey: Limits['perKey'] = null;
  if (v.perKey !== undefined) {
    const p = asObject(v.perKey, `${where}.perKey`, problems);
    if (p) {
      unknownKeys(p, ['concurrency', 'rate', 'onLocked'], `${where}.perKey`, problems);
      const onLocked = p.onLocked ?? 'wait';
      if (onLocked !== 'wait' && onLocked !== 'skip') {
        problems.push({ path: `${where}.perKey.onLocked`, message: `expected 'wait' or 'skip', got ${describe(p.onLocked)}` });
      }
      perKey = {
        concurrency: count(p.concurrency, `${where}.perKey.concurrency`, problems),
        rate: rateOf(p.rate, `${where}.perKey.rate`, problems),
        onLocked: onLocked === 'skip' ? 'skip' : 'wait',
      };
      if (perKey.concurrency === null && perKey.rate === null) {
        problems.push({ path: `${where}.perKey`, message: 'sets no limit; give concurrency or rate' });
      }
      if (perKey.onLocked === 'skip' && perKey.concurrency === null) {
        problems.push({ path: `${where}.perKey.onLocked`, message: "'skip' needs perKey.concurrency: it skips a job whose key is at that limit" });
      }
    }
  }
  if (problems.length === 0 && concurrency === null && rate === null && perKey === null && maxSize === null) {
    problems.push({ path: where, message: `sets no limit; give concurrency, rate${allowMaxSize ? ', perKey or maxSize' : ' or perKey'} (or clear the limits)` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { concurrency, rate, perKey, maxSize };
}

/** Whether two stored limits say the same. */
export function sameLimits(a: Limits | null, b: Limits | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Stored limits as JSON (for a storage's column or hash field). */
export function limitsToJson(limits: Limits): Json {
  return limits as unknown as Json;
}

/**
 * Reads stored limits back. A value this version does not understand is reported, never guessed:
 * it throws, and the storage surfaces the error.
 */
export function limitsFromJson(value: unknown): Limits {
  return resolveStored(value);
}

/** A job's key for per-key limits, checked: a string of 1 to 200 characters, or null for none. */
export function checkLimitKey(value: unknown, where: string): string | null {
  if (value === null || value === undefined) return null;
  const key = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof key === 'string' && key.length > 0 && key.length <= MAX_LIMIT_KEY_LENGTH && !/[\0\ud800-\udfff]/.test(key)) return key;
  throw new ConfigError([
    { path: where, message: `expected a key of 1 to ${MAX_LIMIT_KEY_LENGTH} characters (a string or a number), got ${describe(value)}` },
  ]);
}

function resolveStored(value: unknown): Limits {
  const v = value as Partial<Limits> | null;
  if (typeof v !== 'object' || v === null) throw new Error(`Stored limits are not an object: ${JSON.stringify(value)}`);
  const rate = (r: unknown): RateLimit | null => {
    if (r === null || r === undefined) return null;
    const o = r as RateLimit;
    if (!Number.isInteger(o.limit) || !Number.isInteger(o.perMs) || o.perMs <= 0) throw new Error(`Stored rate limit is malformed: ${JSON.stringify(r)}`);
    return { limit: o.limit, perMs: o.perMs };
  };
  const perKey = v.perKey
    ? { concurrency: v.perKey.concurrency ?? null, rate: rate(v.perKey.rate), onLocked: v.perKey.onLocked === 'skip' ? ('skip' as const) : ('wait' as const) }
    : null;
  const maxSize = v.maxSize ?? null;
  if (maxSize !== null && (!Number.isInteger(maxSize) || maxSize < 1)) throw new Error(`Stored queue bound is malformed: ${JSON.stringify(v.maxSize)}`);
  return { concurrency: v.concurrency ?? null, rate: rate(v.rate), perKey, maxSize };
}

function asObject(value: unknown, where: string, problems: ConfigProblem[]): Record<string, unknown> | null {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.push({ path: where, message: `expected an object, got ${describe(value)}` });
  return null;
}

function unknownKeys(v: Record<string, unknown>, known: readonly string[], where: string, problems: ConfigProblem[]): void {
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) problems.push({ path: `${where}.${key}`, message: `unknown option. Known options: ${known.join(', ')}.` });
  }
}

function count(value: unknown, path: string, problems: ConfigProblem[]): number | null {
  if (value === undefined) return null;
  if (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_COUNT) return value as number;
  problems.push({ path, message: `expected a whole number from 1 to ${MAX_COUNT}, got ${describe(value)}` });
  return null;
}

function rateOf(value: unknown, path: string, problems: ConfigProblem[]): RateLimit | null {
  if (value === undefined) return null;
  const v = asObject(value, path, problems);
  if (!v) return null;
  unknownKeys(v, ['limit', 'per'], path, problems);
  const limit = count(v.limit, `${path}.limit`, problems);
  if (v.limit === undefined) problems.push({ path: `${path}.limit`, message: 'is required' });
  const per = parseDuration(v.per);
  if (!per.ok) problems.push({ path: `${path}.per`, message: per.message });
  else if (per.ms < 1) problems.push({ path: `${path}.per`, message: 'expected a window of at least 1 ms' });
  if (limit === null || !per.ok || per.ms < 1) return null;
  return { limit, perMs: per.ms };
}

/** Limits in words, for the CLI and the dashboard: `at most 2 at once, 100 per 1m; per key: 1 at once (skip)`. */
export function describeLimits(limits: Limits): string {
  const parts = (concurrency: number | null, rate: RateLimit | null): string[] => [
    ...(concurrency !== null ? [`${concurrency} at once`] : []),
    ...(rate !== null ? [`${rate.limit} per ${formatWindow(rate.perMs)}`] : []),
  ];
  const scope = parts(limits.concurrency, limits.rate);
  const perKey = limits.perKey ? parts(limits.perKey.concurrency, limits.perKey.rate) : [];
  const words = [];
  if (scope.length > 0) words.push(`at most ${scope.join(', ')}`);
  if (limits.perKey) words.push(`per key: ${perKey.join(', ')}${limits.perKey.onLocked === 'skip' ? ' (skip when held)' : ''}`);
  if (limits.maxSize !== null) words.push(`at most ${limits.maxSize} enqueued`);
  return words.join('; ');
}

/** A window's length in the largest unit that divides it: `1s`, `1m`, `90s`, `250ms`. */
export function formatWindow(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
