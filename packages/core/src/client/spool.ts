import { StartOnce } from '../util/start-once.js';
import { CapabilityMissingError, ConfigError, JobNotFoundError } from '../errors.js';
import type { JobDefinition, ResolvedJobOptions } from '../job/definition.js';
import { DEFAULT_JOB_OPTIONS, checkJobName, isJobDefinition } from '../job/definition.js';
import { DEFAULT_MAX_ARGS_BYTES, toJsonArgs } from '../job/json-args.js';
import type { CapturedCall, JobClass } from '../job/method-call.js';
import { captureMethodCall } from '../job/method-call.js';
import type { HistoryRecord, JobRecord, Json, LogRecord, NewJob } from '../job/records.js';
import type { ClassRegistration } from '../job/registry.js';
import { JobRegistry } from '../job/registry.js';
import { resolveOptions } from '../options/resolve.js';
import type { ContinuationOn, JobState } from '../states/states.js';
import { JOB_STATES, sourcesOf } from '../states/states.js';
import type { StatsRecord, Storage } from '../storage/contract.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { UuidV7Generator } from '../util/uuid.js';
import type { EnqueueOptions } from './enqueue-options.js';
import { resolveEnqueue } from './enqueue-options.js';
import { RecurringManager } from './recurring-manager.js';
import type { ServerOptions } from '../server/server-options.js';
import { Server } from '../server/server.js';
import { performJob } from '../server/perform.js';
import type { Logger } from '../server/logger.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { ClientEvents } from './client-events.js';
import { checkLogger } from '../server/logger.js';
import { attachServerLogger } from '../server/server-logger.js';
import type { PerformResult } from '../server/perform.js';

/** Options of a Spool instance. */
export interface SpoolOptions {
  /** Where jobs are stored. */
  storage: Storage;
  /** Job definitions this instance can enqueue by reference and run. */
  jobs?: readonly JobDefinition[];
  /** Largest job arguments accepted, as JSON bytes. Default 512 KiB. */
  maxArgsBytes?: number;
  /**
   * The logger of the servers this instance starts, unless `startServer({ logger })` names another:
   * any pino-compatible logger (see docs/logging.md). The client itself does not log: its
   * operations throw typed errors to the caller. Default: none.
   */
  logger?: Logger;
}

/** Test-only hooks: time, randomness and ids. Never part of public options. */
export interface SpoolRuntime {
  clock?: Clock;
  random?: () => number;
}

/** A job as `getJob` returns it: the record, its state history and its persisted logs. */
export interface JobView extends JobRecord {
  history: HistoryRecord[];
  logs: LogRecord[];
}

/** Options of `schedule`: a delay or a time is required. */
export type ScheduleOptions = EnqueueOptions & ({ delay: EnqueueOptions['delay'] } | { at: EnqueueOptions['at'] });

/** Options of `continueWith`. */
export interface ContinuationOptions extends Omit<EnqueueOptions, 'delay' | 'at'> {
  /** When the continuation runs: after the parent `succeeded` (default), `failed`, or either (`finished`). */
  on?: ContinuationOn;
}

/** What to enqueue: a definition, or a job name known to some server. */
export type JobTarget<Args> = JobDefinition<Args, unknown> | string;

/**
 * Spool's client and entry point: enqueue, schedule and manage jobs, manage recurring jobs, and
 * start servers. Hangfire's BackgroundJob, RecurringJob and BackgroundJobServer in one object.
 */
export class Spool {
  readonly storage: Storage;
  readonly registry = new JobRegistry();
  /** Recurring jobs: Hangfire's RecurringJob. */
  readonly recurring: RecurringManager;
  readonly clock: Clock;
  readonly random: () => number;
  readonly maxArgsBytes: number;
  /** Typed events: jobs written by this client, servers it starts. See docs/events.md. */
  readonly events = new TypedEmitter<ClientEvents>();
  /** The default logger of this instance's servers, if any. */
  readonly logger: Logger | undefined;
  private readonly ids: UuidV7Generator;
  private readonly servers = new Set<Server>();
  private readonly ready = new StartOnce(() => this.storage.init());

  constructor(options: SpoolOptions, runtime: SpoolRuntime = {}) {
    const resolved = resolveOptions<SpoolOptions>(
      {
        storage: { kind: 'any', check: (v) => (isStorage(v) ? null : 'expected a storage object (or, from the spool package, a storage URL)') },
        jobs: { kind: 'any', optional: true, check: (v) => (Array.isArray(v) ? null : 'expected an array of job definitions') },
        maxArgsBytes: { kind: 'integer', default: DEFAULT_MAX_ARGS_BYTES, min: 1 },
        logger: { kind: 'any', optional: true, check: checkLogger },
      },
      options,
      'Spool options',
    );
    this.storage = resolved.storage;
    this.maxArgsBytes = resolved.maxArgsBytes ?? DEFAULT_MAX_ARGS_BYTES;
    this.logger = resolved.logger;
    this.clock = runtime.clock ?? systemClock;
    this.random = runtime.random ?? Math.random;
    this.ids = new UuidV7Generator(this.clock);
    this.registry.add(...(resolved.jobs ?? []));
    this.recurring = new RecurringManager(this);
  }

  /** Opens the storage (and applies migrations) once; every call waits for the same opening, and a failed opening is tried again by the next call. */
  async init(): Promise<void> {
    return this.ready.run();
  }

  /** Adds job definitions after construction. */
  define(...definitions: JobDefinition[]): this {
    this.registry.add(...definitions);
    return this;
  }

  /** Registers a class so that `enqueue(Class, (s) => s.method(...))` can target its methods. */
  register<T extends object>(cls: JobClass<T>, registration?: ClassRegistration<T>): this {
    this.registry.addClass(cls, registration);
    return this;
  }

  /** Enqueues a job to run as soon as a server is free; returns its id once it is stored. */
  enqueue<Args>(job: JobDefinition<Args, unknown>, args: Args, options?: EnqueueOptions): Promise<string>;
  /** Enqueues a method call of a registered class, Hangfire style: `enqueue(Mailer, (m) => m.send(to))`. */
  enqueue<T extends object>(cls: JobClass<T>, call: (instance: T) => unknown, options?: EnqueueOptions): Promise<string>;
  /** Enqueues a job by name, for a definition that lives in another process. */
  enqueue(name: string, args?: unknown, options?: EnqueueOptions): Promise<string>;
  async enqueue(target: unknown, argsOrCall?: unknown, options?: EnqueueOptions): Promise<string> {
    const job = this.buildJob(target, argsOrCall, options, null);
    return this.create([job], options?.transaction).then((ids) => ids[0]!);
  }

  /** Enqueues many jobs of one kind in one storage call; returns their ids in order. */
  async enqueueMany<Args>(job: JobTarget<Args>, argsList: readonly Args[], options?: EnqueueOptions): Promise<string[]> {
    if (!Array.isArray(argsList)) {
      throw new ConfigError([{ path: 'enqueueMany args', message: 'expected an array of job arguments' }]);
    }
    const now = this.clock.now();
    const { name, base } = this.resolveTarget(job);
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
    const jobs = argsList.map((args) => this.newJob(name, toJsonArgs(args, this.maxArgsBytes), resolved, now, null));
    return this.create(jobs, resolved.transaction);
  }

  /** Schedules a job to run after a delay or at a time. */
  async schedule<Args>(job: JobTarget<Args>, args: Args, options: ScheduleOptions): Promise<string> {
    if (options?.delay === undefined && options?.at === undefined) {
      throw new ConfigError([{ path: 'schedule options', message: 'expected { delay } or { at }' }]);
    }
    return this.enqueue(job as string, args, options);
  }

  /**
   * Enqueues a continuation: it waits until the parent finishes, then runs if the parent's outcome
   * matches `on`. Its handler reads the parent's result with `ctx.parent()`.
   */
  async continueWith<Args>(parentId: string, job: JobTarget<Args>, args: Args, options: ContinuationOptions = {}): Promise<string> {
    const { on = 'succeeded', ...rest } = options;
    if (on !== 'succeeded' && on !== 'failed' && on !== 'finished') {
      throw new ConfigError([{ path: 'continueWith options.on', message: `expected 'succeeded', 'failed' or 'finished', got ${JSON.stringify(on)}` }]);
    }
    const built = this.buildJob(job, args, rest, { parentId, on });
    return this.create([built], rest.transaction).then((ids) => ids[0]!);
  }

  /** Deletes a job (a running one is aborted). False when it was already deleted. */
  async delete(id: string, reason = 'Deleted by request'): Promise<boolean> {
    return this.setState(id, JOB_STATES.filter((s) => s !== 'deleted'), 'deleted', reason, false);
  }

  /** Puts a job back in its queue to run again from its first attempt (a running one is aborted). */
  async requeue(id: string, reason = 'Requeued by request'): Promise<boolean> {
    return this.setState(id, sourcesOf('enqueued'), 'enqueued', reason, true);
  }

  /** Retries a failed job from its first attempt. False when the job is not failed. */
  async retry(id: string, reason = 'Retried by request'): Promise<boolean> {
    return this.setState(id, ['failed'], 'enqueued', reason, true);
  }

  /** A job with its history and logs, or null when it does not exist (or expired). */
  async getJob(id: string): Promise<JobView | null> {
    await this.init();
    const details = await this.storage.monitoring.jobDetails({ id });
    return details ? { ...details.job, history: details.history, logs: details.logs } : null;
  }

  /** Stores a job parameter. */
  async setParameter(id: string, key: string, value: Json): Promise<void> {
    await this.init();
    const json = toJsonArgs(value, this.maxArgsBytes, `parameter "${key}"`);
    if (!(await this.storage.jobParameterSet({ id, key, value: json }))) throw new JobNotFoundError(id);
  }

  /** Reads a job parameter; undefined when it is not set. */
  async getParameter<T extends Json = Json>(id: string, key: string): Promise<T | undefined> {
    await this.init();
    const job = await this.storage.jobGet({ id });
    if (!job) throw new JobNotFoundError(id);
    return job.parameters[key] as T | undefined;
  }

  /** Removes the job `ttl` after it finishes (or from now, if finished). */
  async expire(id: string, ttl: number | string): Promise<void> {
    await this.init();
    const { ms } = resolveOptions<{ ms: number }>({ ms: { kind: 'duration' } }, { ms: ttl }, 'expire');
    if (!(await this.storage.jobExpirationSet({ id, ttlMs: ms }))) throw new JobNotFoundError(id);
  }

  /** Keeps the job forever (until deleted by hand). */
  async persist(id: string): Promise<void> {
    await this.init();
    if (!(await this.storage.jobExpirationSet({ id, ttlMs: null }))) throw new JobNotFoundError(id);
  }

  /**
   * Runs a stored job now, in this process, through the same state machine as a server (Hangfire's
   * Perform): it must be enqueued, scheduled, failed, succeeded or deleted, not running elsewhere.
   */
  async perform(id: string): Promise<PerformResult> {
    await this.init();
    return performJob(this, id);
  }

  /** Pauses a queue: servers stop taking its jobs until it is resumed. */
  async pauseQueue(queue: string): Promise<void> {
    await this.init();
    await this.storage.queuePauseSet({ queue, paused: true });
  }

  /** Resumes a paused queue. */
  async resumeQueue(queue: string): Promise<void> {
    await this.init();
    await this.storage.queuePauseSet({ queue, paused: false });
  }

  /** Job counts per state and counts of servers and recurring jobs. */
  async stats(): Promise<StatsRecord> {
    await this.init();
    return this.storage.monitoring.stats();
  }

  /** Starts a server that runs this instance's jobs; resolves once it is running. */
  async startServer(options: ServerOptions = {}): Promise<Server> {
    await this.init();
    const server = new Server(this, options);
    const logger = server.options.logger ?? this.logger;
    if (logger) attachServerLogger(server, logger);
    this.events.emit('server:starting', { server });
    this.servers.add(server);
    server.events.once('stopped', () => this.servers.delete(server));
    await server.start();
    return server;
  }

  /** Stops every server this instance started (gracefully) and closes the storage. */
  async close(): Promise<void> {
    await Promise.all([...this.servers].map((server) => server.stop()));
    await this.storage.close();
  }

  // ---- building jobs ---------------------------------------------------------------------------

  /** @internal Resolves a target to a job name and the options it starts from. */
  resolveTarget(target: unknown): { name: string; base: ResolvedJobOptions } {
    if (isJobDefinition(target)) {
      this.registry.add(target);
      return { name: target.name, base: target.options };
    }
    if (typeof target === 'string') {
      const problem = checkJobName(target);
      if (problem) throw new ConfigError([{ path: 'job name', message: problem }]);
      return { name: target, base: this.registry.find(target)?.options ?? DEFAULT_JOB_OPTIONS };
    }
    throw new ConfigError([{ path: 'job', message: 'expected a job definition (from defineJob), a registered class, or a job name' }]);
  }

  /** @internal Builds a new job from a target, its arguments (or a method call) and options. */
  buildJob(target: unknown, argsOrCall: unknown, options: EnqueueOptions | undefined, continuation: { parentId: string; on: ContinuationOn } | null): NewJob {
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
      ({ name, base } = this.resolveTarget(target));
    }
    const resolved = resolveEnqueue(options, base, now);
    return this.newJob(name, toJsonArgs(args, this.maxArgsBytes), resolved, now, continuation);
  }

  private newJob(
    name: string,
    args: Json,
    o: ReturnType<typeof resolveEnqueue>,
    now: number,
    continuation: { parentId: string; on: ContinuationOn } | null,
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
      parameters: o.parameters,
      reason,
    };
  }

  /** @internal A new job id. */
  newId(): string {
    return this.ids.next();
  }

  private async create(jobs: NewJob[], transaction: unknown): Promise<string[]> {
    if (transaction !== undefined && !this.storage.capabilities.externalTransactions) {
      throw new CapabilityMissingError('externalTransactions', `the ${this.storage.kind} storage`, 'Enqueueing inside your transaction');
    }
    await this.init();
    const { jobs: created } = await this.storage.jobsCreate(transaction === undefined ? { jobs } : { jobs, transaction });
    if (this.events.hasListeners('jobs:enqueued')) {
      const written = created.flatMap((entry, i) => (entry.created ? [{ id: entry.id, name: jobs[i]!.name, queue: jobs[i]!.queue, state: entry.state }] : []));
      if (written.length > 0) this.events.emit('jobs:enqueued', { jobs: written });
    }
    return created.map((j) => j.id);
  }

  private async setState(id: string, expected: JobState[], state: 'enqueued' | 'deleted', reason: string, resetAttempts: boolean): Promise<boolean> {
    await this.init();
    const result = await this.storage.jobSetState({ id, expected, state, reason, resetAttempts });
    if (result.previous === null) throw new JobNotFoundError(id);
    return result.ok;
  }
}

function isStorage(value: unknown): value is Storage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Storage).jobsCreate === 'function' &&
    typeof (value as Storage).jobsFetch === 'function'
  );
}
