import { ConfigError } from '../errors.js';
import type { Duration } from '../options/duration.js';
import { parseDuration } from '../options/duration.js';
import { resolveOptions } from '../options/resolve.js';
import type { JobLimitsOption, Limits } from '../limits/limits.js';
import { resolveLimits } from '../limits/limits.js';
import type { JobContext } from './job-context.js';
import type { ErrorRecord } from './records.js';
import type { OnExpire } from './start-deadline.js';

/** A function that runs a job. */
export type JobHandler<Args, Result> = (args: Args, ctx: JobContext) => Promise<Result> | Result;

/**
 * A retry delay policy: `'default'` (Hangfire's curve with jitter), a fixed or exponential delay,
 * or a function of the attempt that failed and its error returning milliseconds.
 */
export type BackoffOption =
  | 'default'
  | { type: 'fixed'; delay: Duration }
  | { type: 'exponential'; delay: Duration; maxDelay?: Duration }
  | ((attempt: number, error: ErrorRecord) => number);

/** Where a handler runs: on the event loop (`inline`) or in a worker thread (`thread`). */
export type ExecutionMode = 'inline' | 'thread';

/** Options of a job definition. Every one can be overridden per enqueue except `execution` and `module`. */
export interface JobOptions {
  /** Queue the job goes to. Default `'default'`. */
  queue?: string;
  /** Higher runs first within a queue. Default 0. */
  priority?: number;
  /** Runs in total, including the first. Default 10. */
  attempts?: number;
  /** Retry delay policy. Default `'default'`. */
  backoff?: BackoffOption;
  /** Aborts the handler after this long and fails the attempt (it is retried). Default: none. */
  timeout?: Duration | null;
  /** How long a succeeded or deleted job is kept. Default `'1d'`; `null` keeps it forever. */
  retention?: Duration | null;
  /**
   * Time-to-live of a job that has not started: one not claimed within this long after it became
   * due is deleted or failed (`onExpire`) instead of run late. Due: when it was enqueued, or its run
   * time for a scheduled job. Not for continuations. Default: none (`null`).
   */
  ttl?: Duration | null;
  /** What happens to a job past its `ttl`: `'delete'` (the default) or `'fail'` (with ERR_JOB_EXPIRED). */
  onExpire?: OnExpire;
  /** `'thread'` runs the handler in a worker thread so that CPU work never blocks the event loop. Default `'inline'`. */
  execution?: ExecutionMode;
  /** With `execution: 'thread'`: the module that exports this definition, usually `import.meta.url`. */
  module?: string;
}

/** Options of a job definition: {@link JobOptions} and its flow-control limits. */
export interface JobDefinitionOptions<Args = unknown> extends JobOptions {
  /**
   * Flow control for every job of this name, across every server: how many run at once, how many
   * start per window, and the same per key (`key` gives a job's key from its arguments). Stored
   * when a server with this definition starts; an operator's limits win until cleared. See
   * docs/flow-control.md. Default: none.
   */
  limits?: JobLimitsOption<Args>;
  /**
   * What becomes of a job whose attempts ran out (or whose error is `unrecoverable`): `'fail'` keeps
   * it `failed` until an operator acts; `'dead-letter'` also routes it to the dead letters, where it
   * is listed by job name and error and redriven (docs/dead-letters.md). Decided by the definition
   * of the server that runs the job. Default `'fail'`.
   */
  onExhausted?: ExhaustedRoute;
}

/** What becomes of a job whose attempts ran out: see {@link JobDefinitionOptions.onExhausted}. */
export type ExhaustedRoute = 'fail' | 'dead-letter';

/** Job options after defaults and validation. Durations are milliseconds. */
export interface ResolvedJobOptions {
  queue: string;
  priority: number;
  attempts: number;
  backoff: BackoffOption;
  timeoutMs: number | null;
  retentionMs: number | null;
  /** Time-to-live of a job that has not started, or null. */
  ttlMs: number | null;
  onExpire: OnExpire;
  execution: ExecutionMode;
  module: string | null;
  /** The definition's limits as stored, or null. */
  limits: Limits | null;
  /** Gives a job its key for per-key limits from its arguments, or null. */
  limitKey: ((args: unknown) => unknown) | null;
  /** What becomes of a job whose attempts ran out. */
  onExhausted: ExhaustedRoute;
}

/** A named job type: its handler and its options. Made by {@link defineJob}. */
export interface JobDefinition<Args = unknown, Result = unknown> {
  readonly kind: 'spool.job';
  readonly name: string;
  /** Runs the job. (A method signature, so that a definition of any argument type fits `JobDefinition`.) */
  handler(args: Args, ctx: JobContext): Promise<Result> | Result;
  readonly options: ResolvedJobOptions;
}

/** Default number of runs of a job, including the first. */
export const DEFAULT_ATTEMPTS = 10;
/** Default retention of succeeded and deleted jobs: one day. */
export const DEFAULT_RETENTION_MS = 86_400_000;

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}$/;
const QUEUE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$/;

/** Checks a job name; returns a problem message or null. */
export function checkJobName(name: unknown): string | null {
  if (typeof name === 'string' && NAME_PATTERN.test(name)) return null;
  return `expected a job name of letters, digits and _ . : - / (at most 200 characters), got ${JSON.stringify(name)}`;
}

/** Option rules shared by job definitions and enqueue calls. */
export const JOB_OPTION_RULES = {
  queue: { kind: 'string', optional: true, pattern: QUEUE_PATTERN, patternHint: 'a queue name of letters, digits and _ . : - (at most 100 characters)' },
  priority: { kind: 'integer', optional: true, min: -1_000_000, max: 1_000_000 },
  attempts: { kind: 'integer', optional: true, min: 1, max: 1000 },
  backoff: { kind: 'any', optional: true, check: checkBackoff },
  timeout: { kind: 'any', optional: true, check: checkNullableDuration },
  retention: { kind: 'any', optional: true, check: checkNullableDuration },
  ttl: { kind: 'any', optional: true, check: checkNullableDuration },
  onExpire: { kind: 'oneOf', values: ['delete', 'fail'], optional: true },
} as const;

/**
 * Defines a job: a name (the key stored with every job, so keep it stable), a handler and options.
 *
 * ```ts
 * export const sendEmail = defineJob('email.send', async (args: { to: string }, ctx) => { ... }, { attempts: 5 });
 * ```
 */
export function defineJob<Args = unknown, Result = unknown>(
  name: string,
  handler: JobHandler<Args, Result>,
  options: JobDefinitionOptions<Args> = {},
): JobDefinition<Args, Result> {
  const problems = [];
  const nameProblem = checkJobName(name);
  if (nameProblem) problems.push({ path: 'name', message: nameProblem });
  if (typeof handler !== 'function') problems.push({ path: 'handler', message: `expected a function, got ${typeof handler}` });
  if (problems.length > 0) throw new ConfigError(problems);
  const resolved = resolveOptions<Record<string, unknown>>(
    {
      ...JOB_OPTION_RULES,
      execution: { kind: 'oneOf', values: ['inline', 'thread'], optional: true },
      module: { kind: 'string', optional: true },
      limits: { kind: 'any', optional: true },
      onExhausted: { kind: 'oneOf', values: ['fail', 'dead-letter'], optional: true },
    },
    options,
    `job "${name}" options`,
  );
  if (resolved.execution === 'thread' && typeof resolved.module !== 'string') {
    throw new ConfigError([
      {
        path: `job "${name}" options.module`,
        message: "is required with execution: 'thread'; pass module: import.meta.url from the file that exports this definition",
      },
    ]);
  }
  const limitsOption = resolved.limits as JobLimitsOption<Args> | undefined;
  const limits = limitsOption === undefined ? null : resolveLimits(limitsOption, `job "${name}" options.limits`, true);
  if (limits && limitsOption?.key === undefined && limits.perKey) {
    throw new ConfigError([{ path: `job "${name}" options.limits.key`, message: 'is required with perKey: a function (args) => key that gives each job its key' }]);
  }
  const limitKey = (limitsOption?.key as ((args: unknown) => unknown) | undefined) ?? null;
  return Object.freeze({
    kind: 'spool.job',
    name,
    handler,
    options: Object.freeze({ ...resolveJobOptions(resolved), limits, limitKey, onExhausted: (resolved.onExhausted as ExhaustedRoute | undefined) ?? 'fail' }),
  });
}

/** The options of a job known only by name (enqueued by a process that lacks its definition). */
export const DEFAULT_JOB_OPTIONS: ResolvedJobOptions = Object.freeze({
  queue: 'default',
  priority: 0,
  attempts: DEFAULT_ATTEMPTS,
  backoff: 'default',
  timeoutMs: null,
  retentionMs: DEFAULT_RETENTION_MS,
  ttlMs: null,
  onExpire: 'delete',
  execution: 'inline',
  module: null,
  limits: null,
  limitKey: null,
  onExhausted: 'fail',
});

/** Applies defaults to validated job options. */
function resolveJobOptions(options: Record<string, unknown>): Omit<ResolvedJobOptions, 'limits' | 'limitKey' | 'onExhausted'> {
  return {
    queue: (options.queue as string | undefined) ?? 'default',
    priority: (options.priority as number | undefined) ?? 0,
    attempts: (options.attempts as number | undefined) ?? DEFAULT_ATTEMPTS,
    backoff: (options.backoff as BackoffOption | undefined) ?? 'default',
    timeoutMs: toNullableMs(options.timeout, null),
    retentionMs: toNullableMs(options.retention, DEFAULT_RETENTION_MS),
    ttlMs: toNullableMs(options.ttl, null),
    onExpire: (options.onExpire as OnExpire | undefined) ?? 'delete',
    execution: (options.execution as ExecutionMode | undefined) ?? 'inline',
    module: (options.module as string | undefined) ?? null,
  };
}

/** Whether a value is a job definition made by {@link defineJob}. */
export function isJobDefinition(value: unknown): value is JobDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'spool.job';
}


/** Milliseconds of a validated nullable duration, `fallback` when undefined. */
export function toNullableMs(value: unknown, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  const parsed = parseDuration(value);
  return parsed.ok ? parsed.ms : fallback;
}

function checkNullableDuration(value: unknown): string | null {
  if (value === null) return null;
  const parsed = parseDuration(value);
  return parsed.ok ? null : parsed.message;
}

function checkBackoff(value: unknown): string | null {
  if (value === 'default' || typeof value === 'function') return null;
  if (typeof value === 'object' && value !== null) {
    const v = value as { type?: unknown; delay?: unknown; maxDelay?: unknown };
    if (v.type === 'fixed' || v.type === 'exponential') {
      const delay = parseDuration(v.delay);
      if (!delay.ok) return `backoff.delay: ${delay.message}`;
      const maxDelay = v.maxDelay === undefined ? null : parseDuration(v.maxDelay);
      if (maxDelay && !maxDelay.ok) return `backoff.maxDelay: ${maxDelay.message}`;
      return null;
    }
  }
  return "expected 'default', { type: 'fixed', delay }, { type: 'exponential', delay, maxDelay? } or a function (attempt, error) => ms";
}
