import { ConfigError, InvalidArgsError } from '../errors.js';
import { PAYLOAD_MARKER, looksLikePayloadReference } from '../files/payloads.js';
import { LIMIT_KEY_PARAMETER, checkLimitKey } from '../limits/limits.js';
import type { ResolvedJobOptions } from '../job/definition.js';
import { DEFAULT_JOB_OPTIONS, checkJobName, isJobDefinition } from '../job/definition.js';
import { toJsonArgs } from '../job/json-args.js';
import type { CapturedCall, JobClass } from '../job/method-call.js';
import { captureMethodCall } from '../job/method-call.js';
import type { Json, NewJob } from '../job/records.js';
import type { JobRegistry } from '../job/registry.js';
import { withStartDeadline } from '../job/start-deadline.js';
import type { ContinuationOn } from '../states/states.js';
import type { Clock } from '../util/clock.js';
import { UuidV7Generator } from '../util/uuid.js';
import type { EnqueueOptions, ResolvedEnqueue } from './enqueue-options.js';
import { resolveEnqueue } from './enqueue-options.js';

/**
 * The options a job enqueued by name must state when this process has no definition of it: where
 * it waits (`queue`), how often it runs (`attempts`) and how long it may run (`timeout`, null for
 * no limit). Defaults there would send it where no server of its queue looks, and run it more
 * often or longer than its definition allows. See decision 21.
 */
export const OPTIONS_WITHOUT_DEFINITION = ['queue', 'attempts', 'timeout'] as const;

/** Options that may state what a definition would: enqueue options, recurring options. */
type StatedOptions = Partial<Record<(typeof OPTIONS_WITHOUT_DEFINITION)[number], unknown>>;

/** A continuation's parent and the outcome it waits for. */
export interface ContinuationLink {
  parentId: string;
  on: ContinuationOn;
}

/**
 * Turns what a caller enqueues (a definition, a registered class's method call, or a job name) with
 * its arguments and options into the new job records that storage creates. The client's, never the
 * server's: a server enqueues through its host.
 */
export class JobBuilder {
  private readonly ids: UuidV7Generator;

  constructor(
    private readonly registry: JobRegistry,
    private readonly clock: Clock,
    readonly maxArgsBytes: number,
    /** Largest arguments of a job enqueued directly: `maxArgsBytes`, or with a file store the by-reference limit. */
    readonly maxJobArgsBytes: number = maxArgsBytes,
  ) {
    this.ids = new UuidV7Generator(clock);
  }

  /**
   * Resolves a target to a job name and the options it starts from; a definition is registered. A
   * name this process has no definition of must come with {@link OPTIONS_WITHOUT_DEFINITION}.
   */
  resolveTarget(target: unknown, options: StatedOptions | undefined, where = 'enqueue'): { name: string; base: ResolvedJobOptions } {
    if (isJobDefinition(target)) {
      this.registry.add(target);
      return { name: target.name, base: target.options };
    }
    if (typeof target === 'string') {
      const problem = checkJobName(target);
      if (problem) throw new ConfigError([{ path: 'job name', message: problem }]);
      const definition = this.registry.find(target);
      if (definition) return { name: target, base: definition.options };
      requireStatedOptions(target, options, where);
      return { name: target, base: DEFAULT_JOB_OPTIONS };
    }
    throw new ConfigError([{ path: 'job', message: 'expected a job definition (from defineJob), a registered class, or a job name' }]);
  }

  /** One new job from a target, its arguments (or a method call) and options. */
  build(target: unknown, argsOrCall: unknown, options: EnqueueOptions | undefined, continuation: ContinuationLink | null): NewJob {
    const now = this.clock.now();
    let name: string;
    let base: ResolvedJobOptions;
    let args: unknown = argsOrCall;
    if (typeof target === 'function') {
      const className = this.registry.classNameOf(target as JobClass);
      const call: CapturedCall = captureMethodCall(className, argsOrCall as (instance: object) => unknown);
      name = `${className}.${call.method}`;
      const definition = this.registry.find(name);
      if (!definition) {
        throw new ConfigError([{ path: `${className} call`, message: `${className} has no method "${call.method}"` }]);
      }
      base = definition.options;
      args = call.args;
    } else {
      ({ name, base } = this.resolveTarget(target, options));
    }
    const resolved = resolveEnqueue(options, base, now);
    return this.newJob(name, this.jobArgs(args), resolved, now, continuation, base.limitKey);
  }

  /** New jobs of one kind, one per argument list, with the same options. */
  buildMany(target: unknown, argsList: readonly unknown[], options: EnqueueOptions | undefined): { jobs: NewJob[]; resolved: ResolvedEnqueue } {
    if (!Array.isArray(argsList)) {
      throw new ConfigError([{ path: 'enqueueMany args', message: 'expected an array of job arguments' }]);
    }
    const now = this.clock.now();
    const { name, base } = this.resolveTarget(target, options, 'enqueueMany');
    const resolved = resolveEnqueue(options, base, now);
    if (resolved.uniqueKey !== null && argsList.length > 1) {
      // One key for every job: all but the first would be answered with the first's id, unnoticed.
      throw new ConfigError([
        {
          path: 'enqueueMany options.uniqueKey',
          message: `one uniqueKey for ${argsList.length} jobs would create only the first of them; enqueue each job with its own key`,
        },
      ]);
    }
    return { jobs: argsList.map((args) => this.newJob(name, this.jobArgs(args), resolved, now, null, base.limitKey)), resolved };
  }

  /** Job arguments as checked JSON within the size limit of values kept inline (`maxArgsBytes`). */
  jsonArgs(args: unknown): Json {
    return toJsonArgs(args, this.maxArgsBytes);
  }

  /**
   * A job's parameters with the start deadline of its definition's time-to-live (when this process
   * has the definition and it sets one), counted from `dueAt`: a recurring occurrence's time.
   */
  withDefinitionDeadline(name: string, parameters: Record<string, Json>, dueAt: number): Record<string, Json> {
    const options = this.registry.find(name)?.options;
    return options === undefined ? parameters : withStartDeadline(parameters, options, dueAt);
  }

  /** A job's parameters with its key for per-key limits, as its definition (when this process has it) gives it. */
  keyed(name: string, parameters: Record<string, Json>, args: Json): Record<string, Json> {
    return withLimitKey(name, parameters, undefined, this.registry.find(name)?.options.limitKey ?? null, args);
  }

  /**
   * A new job's arguments as checked JSON within `maxJobArgsBytes` (the client stores those above
   * its threshold by reference). A value shaped as a by-reference payload is refused: it would be
   * taken for one.
   */
  jobArgs(args: unknown): Json {
    if (looksLikePayloadReference(args)) {
      throw new InvalidArgsError('args', `an object whose only key is "${PAYLOAD_MARKER}" is how Spool marks arguments stored by reference; wrap the value in another object`);
    }
    return toJsonArgs(args, this.maxJobArgsBytes);
  }

  /** The client clock's time, for options given relative to now (a delay). */
  now(): number {
    return this.clock.now();
  }

  /** A new job id (UUIDv7, ordered by creation time). */
  newId(): string {
    return this.ids.next();
  }

  private newJob(
    name: string,
    args: Json,
    o: ResolvedEnqueue,
    now: number,
    continuation: ContinuationLink | null,
    keyOf: ((args: unknown) => unknown) | null,
  ): NewJob {
    const scheduled = o.runAtMs !== null && o.runAtMs > now;
    let state: NewJob['state'] = scheduled ? 'scheduled' : 'enqueued';
    let reason = scheduled ? `Scheduled for ${new Date(o.runAtMs!).toISOString()}` : 'Enqueued';
    if (continuation) {
      state = 'awaiting';
      reason = `Awaiting parent ${continuation.parentId} (${continuation.on})`;
    }
    return {
      id: this.ids.next(),
      name,
      args,
      queue: o.queue,
      priority: o.priority,
      state,
      runAt: scheduled ? new Date(o.runAtMs!) : null,
      maxAttempts: o.maxAttempts,
      timeoutMs: o.timeoutMs,
      retentionMs: o.retentionMs,
      backoff: o.backoff,
      uniqueKey: o.uniqueKey,
      parentId: continuation?.parentId ?? null,
      continueOn: continuation?.on ?? null,
      recurringId: null,
      parameters: withStartDeadline(withLimitKey(name, o.parameters, o.limitKey, keyOf, args), o, continuation === null ? (scheduled ? o.runAtMs! : now) : null),
      reason,
      ...(o.onDuplicate === 'replace' ? { onDuplicate: 'replace' as const } : {}),
    };
  }
}

/**
 * The job's parameters with its key for per-key limits: the caller's `limitKey`, else what the
 * definition's `limits.key` gives for the arguments (none: no key).
 */
export function withLimitKey(
  name: string,
  parameters: Record<string, Json>,
  given: string | undefined,
  keyOf: ((args: unknown) => unknown) | null,
  args: Json,
): Record<string, Json> {
  let key: string | null = given ?? null;
  if (key === null && keyOf !== null) {
    let value: unknown;
    try {
      value = keyOf(args);
    } catch (error) {
      throw new ConfigError([{ path: `job "${name}" limits.key`, message: `threw for these arguments: ${error instanceof Error ? error.message : String(error)}` }]);
    }
    key = checkLimitKey(value, `job "${name}" limits.key(args)`);
  }
  return key === null ? parameters : { ...parameters, [LIMIT_KEY_PARAMETER]: key };
}

/** Throws when a job without a definition here comes without the options that decide where and how it runs. */
function requireStatedOptions(name: string, options: StatedOptions | undefined, where: string): void {
  const missing = OPTIONS_WITHOUT_DEFINITION.filter((key) => options?.[key] === undefined);
  if (missing.length === 0) return;
  throw new ConfigError([
    {
      path: `${where} "${name}"`,
      message:
        `this process has no definition of "${name}", so its queue, attempts and timeout are unknown here; ` +
        `give them (missing: ${missing.join(', ')}; timeout: null for no limit), or give this Spool the definition (jobs: [...])`,
    },
  ]);
}
