import type { BackoffOption, ResolvedJobOptions } from '../job/definition.js';
import { JOB_OPTION_RULES, toNullableMs } from '../job/definition.js';
import type { BackoffSpec, Json } from '../job/records.js';
import type { Duration } from '../options/duration.js';
import { parseDuration } from '../options/duration.js';
import type { OptionsSchema } from '../options/resolve.js';
import { resolveOptions } from '../options/resolve.js';
import { toBackoffSpec } from '../filters/retry-policy.js';
import { ConfigError } from '../errors.js';
import { checkLimitKey } from '../limits/limits.js';

/** Options of one enqueue call; each overrides the job definition's. */
export interface EnqueueOptions {
  /** Queue the job goes to. */
  queue?: string;
  /** Higher runs first within a queue. */
  priority?: number;
  /** Runs the job after this delay instead of at once (`'10m'`, or milliseconds). */
  delay?: Duration;
  /** Runs the job at this time instead of at once. */
  at?: Date | string | number;
  /** Runs in total, including the first. */
  attempts?: number;
  /** Retry delay policy for this job (a function policy belongs on the definition, since it cannot be stored). */
  backoff?: Exclude<BackoffOption, (...args: never[]) => unknown>;
  /** Aborts the handler after this long; the attempt fails and is retried. */
  timeout?: Duration | null;
  /** How long the job is kept after it succeeds or is deleted; `null` keeps it forever. */
  retention?: Duration | null;
  /**
   * At most one active (scheduled, enqueued, awaiting or processing) job holds this key: a second
   * enqueue with the same key returns the first job's id instead of creating a job.
   */
  uniqueKey?: string;
  /**
   * What an enqueue whose `uniqueKey` an active job holds does: `'keep'` (default) returns that
   * job's id and changes nothing (a throttle); `'replace'` gives that job this enqueue's arguments,
   * and its due time when it is scheduled and this enqueue has `delay` or `at` (a debounce), and
   * returns its id; when that job has already started, a new job is created and takes the key.
   * Needs `uniqueKey`, and a storage with the `replaceDuplicates` capability.
   */
  onDuplicate?: 'keep' | 'replace';
  /** Job parameters stored with the job from the start. */
  parameters?: Record<string, Json>;
  /**
   * The job's key for per-key limits (a customer, a tenant), instead of the one its definition's
   * `limits.key` gives. See docs/flow-control.md.
   */
  limitKey?: string | number;
  /**
   * The caller's open database transaction: the job commits (or rolls back) with it. Only on
   * storages with the `externalTransactions` capability; elsewhere it is an ERR_CAPABILITY_MISSING error.
   */
  transaction?: unknown;
  /**
   * What happens when the job's queue is bounded (`maxSize`) and full: `'reject'` throws
   * `QueueFullError` (`ERR_QUEUE_FULL`) at once; `'wait'` tries again as room frees, for up to
   * `fullTimeout`, then throws it. Default: the queue's `onFull` in Spool's `queues` option, else
   * `'reject'`. Not with `transaction`: a wait would hold the transaction's locks meanwhile.
   */
  onFull?: 'reject' | 'wait';
  /** How long `onFull: 'wait'` waits for room (`'30s'`, or milliseconds). Default: the queue's, else 30 s. */
  fullTimeout?: Duration;
}

/** Enqueue options after validation, merged over a definition's. */
export interface ResolvedEnqueue {
  queue: string;
  priority: number;
  runAtMs: number | null;
  maxAttempts: number;
  backoff: BackoffSpec | null;
  timeoutMs: number | null;
  retentionMs: number | null;
  uniqueKey: string | null;
  onDuplicate: 'keep' | 'replace';
  parameters: Record<string, Json>;
  /** The key given by the caller; undefined: the definition's `limits.key` decides. */
  limitKey: string | undefined;
  transaction: unknown;
  /** The caller's `onFull`; undefined: the queue's default decides. */
  onFull: 'reject' | 'wait' | undefined;
  /** The caller's `fullTimeout` in ms; undefined: the queue's default decides. */
  fullTimeoutMs: number | undefined;
}

// 1 to 500 code units, none of them NUL or half of a surrogate pair: a unique key is matched exactly,
// so it cannot be stored with the replacements values get (see storable-text.ts); it is refused instead.
const UNIQUE_KEY_PATTERN = /^(?=[^]{1,500}$)(?:[^\0\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

const ENQUEUE_SCHEMA: OptionsSchema = {
  ...JOB_OPTION_RULES,
  delay: { kind: 'duration', optional: true },
  at: { kind: 'date', optional: true },
  uniqueKey: {
    kind: 'string',
    optional: true,
    pattern: UNIQUE_KEY_PATTERN,
    patternHint: 'a string of 1 to 500 characters without NUL or lone surrogates (no storage can keep those)',
  },
  onDuplicate: { kind: 'oneOf', values: ['keep', 'replace'], optional: true },
  parameters: { kind: 'any', optional: true, check: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'expected an object of JSON values') },
  limitKey: { kind: 'any', optional: true, check: (v) => (typeof v === 'string' || typeof v === 'number' ? null : 'expected a string or a number') },
  transaction: { kind: 'any', optional: true },
  onFull: { kind: 'oneOf', values: ['reject', 'wait'], optional: true },
  fullTimeout: { kind: 'duration', optional: true },
};

/** Validates enqueue options and merges them over the definition's (or the defaults for a bare name). */
export function resolveEnqueue(options: EnqueueOptions | undefined, base: ResolvedJobOptions, nowMs: number): ResolvedEnqueue {
  const o = resolveOptions<Record<string, unknown>>(ENQUEUE_SCHEMA, options ?? {}, 'enqueue options');
  if (o.delay !== undefined && o.at !== undefined) {
    throw new ConfigError([{ path: 'enqueue options.delay', message: 'give either delay or at, not both' }]);
  }
  if (o.onFull === 'wait' && o.transaction !== undefined) {
    throw new ConfigError([
      { path: 'enqueue options.onFull', message: "'wait' cannot be used with transaction: the wait would hold your transaction's locks while it waits; use 'reject' and retry the transaction" },
    ]);
  }
  if (o.onDuplicate === 'replace' && o.uniqueKey === undefined) {
    throw new ConfigError([{ path: 'enqueue options.onDuplicate', message: "'replace' replaces the job that holds the same uniqueKey; give uniqueKey too" }]);
  }
  if (typeof o.backoff === 'function') {
    throw new ConfigError([{ path: 'enqueue options.backoff', message: 'a backoff function cannot be stored with a job; set it on the job definition' }]);
  }
  const runAtMs = o.at !== undefined ? (o.at as Date).getTime() : o.delay !== undefined ? nowMs + (o.delay as number) : null;
  const backoffOption = o.backoff as BackoffOption | undefined;
  return {
    queue: (o.queue as string | undefined) ?? base.queue,
    priority: (o.priority as number | undefined) ?? base.priority,
    runAtMs,
    maxAttempts: (o.attempts as number | undefined) ?? base.attempts,
    // Stored only when this enqueue overrides it; otherwise the server applies the definition's policy.
    backoff: backoffOption !== undefined ? (toBackoffSpec(backoffOption) as BackoffSpec) : null,
    timeoutMs: o.timeout !== undefined ? toNullableMs(o.timeout, null) : base.timeoutMs,
    retentionMs: o.retention !== undefined ? toNullableMs(o.retention, null) : base.retentionMs,
    uniqueKey: (o.uniqueKey as string | undefined) ?? null,
    onDuplicate: (o.onDuplicate as 'keep' | 'replace' | undefined) ?? 'keep',
    parameters: (o.parameters as Record<string, Json> | undefined) ?? {},
    limitKey: o.limitKey === undefined ? undefined : (checkLimitKey(o.limitKey, 'enqueue options.limitKey') ?? undefined),
    transaction: o.transaction,
    onFull: o.onFull as 'reject' | 'wait' | undefined,
    fullTimeoutMs: o.fullTimeout as number | undefined,
  };
}

/** Milliseconds of a duration option known to be valid. */
export function durationMs(value: Duration): number {
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new ConfigError([{ path: 'duration', message: parsed.message }]);
  return parsed.ms;
}
