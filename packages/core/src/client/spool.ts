import type { JobMetricsReport, JobMetricsWindow } from '../metrics/job-metrics.js';
import { readJobMetrics } from '../metrics/job-metrics.js';
import { CapabilityMissingError, ConfigError, JobNotFoundError, JobNotWaitingError, QueueFullError } from '../errors.js';
import type { FileStore } from '../files/file-store.js';
import { isFileStore } from '../files/file-store.js';
import type { PayloadOptions } from '../files/payloads.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_OFFLOAD_ABOVE_BYTES, Payloads } from '../files/payloads.js';
import { readJobPayloads } from './job-payloads.js';
import type { GetJobOptions } from './job-payloads.js';
import type { JobDefinition } from '../job/definition.js';
import { DEFAULT_MAX_ARGS_BYTES, toJsonArgs } from '../job/json-args.js';
import type { JobView } from '../job/job-view.js';
import { readJobView } from '../job/job-view.js';
import type { JobClass } from '../job/method-call.js';
import type { Json, NewJob } from '../job/records.js';
import type { ClassRegistration } from '../job/registry.js';
import { JobRegistry } from '../job/registry.js';
import { resolveOptions } from '../options/resolve.js';
import type { ContinuationOn, JobState } from '../states/states.js';
import { JOB_STATES, sourcesOf } from '../states/states.js';
import type { JobsCreateResult, StatsRecord, Storage } from '../storage/contract.js';
import type { Runtime, RuntimeOptions } from '../util/runtime.js';
import { resolveRuntime } from '../util/runtime.js';
import { StartOnce } from '../util/start-once.js';
import type { PerformResult } from '../server/perform.js';
import { performJob } from '../server/perform.js';
import type { ServerHost } from '../server/server-host.js';
import type { ServerOptions } from '../server/server-options.js';
import { Server } from '../server/server.js';
import type { EnqueueOptions } from './enqueue-options.js';
import { durationMs } from './enqueue-options.js';
import type { QueueOptions, ResolvedQueueOptions } from './queue-options.js';
import { DEFAULT_FULL_TIMEOUT_MS, resolveQueues } from './queue-options.js';
import type { FullPolicy } from './queue-room-waiter.js';
import { RoomLines, createWithRoom } from './queue-room-waiter.js';
import type { ChangeJobOptions } from './job-changer.js';
import { changeWaitingJob } from './job-changer.js';
import { JobBuilder } from './job-builder.js';
import { LimitsManager } from './limits-manager.js';
import { DeadLettersManager } from './dead-letters-manager.js';
import { RecurringManager } from './recurring-manager.js';
import type { BatchBuilder } from './batch-builder.js';
import type { CreateBatchOptions } from './batches-manager.js';
import { BatchesManager } from './batches-manager.js';
import type { CreatedFlow, FlowOptions, FlowStep } from './flow-planner.js';

export type { JobView } from '../job/job-view.js';
import type { Logger } from '../server/logger.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { ClientEvents } from './client-events.js';
import { checkLogger } from '../server/logger.js';
import { attachServerLogger } from '../server/server-logger.js';
import type { Telemetry, TelemetryOptions } from '../telemetry/telemetry.js';
import { resolveTelemetry } from '../telemetry/telemetry.js';

/** Options of a Spool instance. */
export interface SpoolOptions {
  /** Where jobs are stored. */
  storage: Storage;
  /** Job definitions this instance can enqueue by reference and run. */
  jobs?: readonly JobDefinition[];
  /**
   * Largest job arguments kept in the job's record, as JSON bytes. Default 512 KiB. Larger ones
   * are refused, unless a file store is given (`files`): then arguments above
   * `payloads.offloadAboveBytes` are stored there by reference, up to `payloads.maxBytes`.
   */
  maxArgsBytes?: number;
  /**
   * Where large job arguments and results are stored by reference (docs/file-store.md): a
   * `FileStore` such as `new FolderFileStore('./data/files')`, or from the spool package a URL
   * (`file:./data/files`, `s3://bucket/prefix`). Every process that enqueues or runs such jobs
   * needs the same store. Default: none (values stay inline, within `maxArgsBytes`).
   */
  files?: FileStore;
  /** Thresholds of by-reference payloads; used only with `files`. See {@link PayloadOptions}. */
  payloads?: PayloadOptions;
  /**
   * The logger of the servers this instance starts, unless `startServer({ logger })` names another:
   * any pino-compatible logger (see docs/logging.md). The client itself does not log: its
   * operations throw typed errors to the caller. Default: none.
   */
  logger?: Logger;
  /**
   * OpenTelemetry traces and metrics (docs/telemetry.md): recorded through `@opentelemetry/api`
   * when it is installed, to the global providers or to those given here; `false` turns them off.
   * Default: on when the API is installed.
   */
  telemetry?: false | TelemetryOptions;
  /**
   * Options per queue: a queue's bound (`maxSize`) and what an enqueue does when it is full
   * (`onFull`, `fullTimeout`). See docs/flow-control.md#bounded-queues. Default: none.
   */
  queues?: Record<string, QueueOptions>;
}

/**
 * Test-only hooks: the clock, timers and randomness (a `ManualRuntime` gives all of them). Never part
 * of public options. A clock alone keeps real timers.
 */
export type SpoolRuntime = RuntimeOptions;

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
  /** Where this instance's jobs are stored. */
  readonly storage: Storage;
  /** Recurring jobs: Hangfire's RecurringJob. */
  readonly recurring: RecurringManager;
  /** Flow control at run time: limits of queues and job names, stored. See docs/flow-control.md. */
  readonly limits: LimitsManager;
  /** The dead letters: exhausted jobs routed there, listed by job name and error, redriven. See docs/dead-letters.md. */
  readonly deadLetters: DeadLettersManager;
  /** Batches and flows: progress, jobs, attaching and cancelling. See docs/batches-and-flows.md. */
  readonly batches: BatchesManager;
  /** Largest job arguments accepted, as JSON bytes. */
  readonly maxArgsBytes: number;
  /** Typed events: jobs written by this client, servers it starts. See docs/events.md. */
  readonly events = new TypedEmitter<ClientEvents>();
  /** The default logger of this instance's servers, if any. */
  readonly logger: Logger | undefined;
  /** The file store of by-reference payloads (and, if the application likes, its own files), or null. */
  readonly files: FileStore | null;
  /** By-reference payloads: the file store and its thresholds, or null without a file store. */
  readonly #payloads: Payloads | null;
  readonly #registry = new JobRegistry();
  readonly #jobs: JobBuilder;
  /** What this instance's servers and `perform` run on. */
  readonly #host: ServerHost;
  readonly #servers = new Set<Server>();
  readonly #ready = new StartOnce(async () => {
    await this.storage.init();
    await this.limits.syncQueues(new Map([...this.#queues].map(([queue, o]) => [queue, o.limits])));
  });
  readonly #queues: Map<string, ResolvedQueueOptions>;
  /** This Spool's producers waiting for room in bounded queues, in the order they began to wait. */
  readonly #roomLines = new RoomLines();
  readonly #runtime: Runtime;
  readonly #telemetry: Telemetry;

  constructor(options: SpoolOptions, runtime: SpoolRuntime = {}) {
    const resolved = resolveOptions<SpoolOptions>(
      {
        storage: { kind: 'any', check: (v) => (isStorage(v) ? null : 'expected a storage object (or, from the spool package, a storage URL)') },
        jobs: { kind: 'any', optional: true, check: (v) => (Array.isArray(v) ? null : 'expected an array of job definitions') },
        maxArgsBytes: { kind: 'integer', default: DEFAULT_MAX_ARGS_BYTES, min: 1 },
        logger: { kind: 'any', optional: true, check: checkLogger },
        telemetry: { kind: 'any', optional: true, check: checkTelemetry },
        files: { kind: 'any', optional: true, check: (v) => (isFileStore(v) ? null : 'expected a file store (FolderFileStore, S3FileStore, or from the spool package a URL)') },
        payloads: { kind: 'any', optional: true, check: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'expected { offloadAboveBytes?, maxBytes? }') },
        queues: { kind: 'any', optional: true },
      },
      options,
      'Spool options',
    );
    this.storage = resolved.storage;
    this.maxArgsBytes = resolved.maxArgsBytes ?? DEFAULT_MAX_ARGS_BYTES;
    this.logger = resolved.logger;
    this.files = resolved.files ?? null;
    this.#payloads = this.files === null ? null : resolvePayloads(this.files, resolved.payloads, this.maxArgsBytes);
    this.#queues = resolveQueues(resolved.queues);
    const resolvedRuntime = resolveRuntime(runtime);
    this.#runtime = resolvedRuntime;
    this.#telemetry = resolveTelemetry(resolved.telemetry, () => resolvedRuntime.clock.now());
    this.#telemetry.observeClient(this.events);
    this.#jobs = new JobBuilder(this.#registry, resolvedRuntime.clock, this.maxArgsBytes, this.#payloads?.maxBytes ?? this.maxArgsBytes);
    this.#registry.add(...(resolved.jobs ?? []));
    this.recurring = new RecurringManager({ storage: this.storage, init: () => this.init(), jobs: this.#jobs });
    this.limits = new LimitsManager({ storage: this.storage, init: () => this.init() });
    this.deadLetters = new DeadLettersManager({ storage: this.storage, init: () => this.init(), jsonArgs: (args) => this.#jobs.jsonArgs(args) });
    const jobs = this.#jobs;
    this.batches = new BatchesManager({
      storage: this.storage,
      init: () => this.init(),
      jobs: {
        build: (target, args, options) => jobs.build(target, args, options, null),
        buildMany: (target, argsList, options) => jobs.buildMany(target, argsList, options).jobs,
        newId: () => jobs.newId(),
      },
      write: (newJobs, send) => this.#write(newJobs, send),
    });
    const registry = this.#registry;
    this.#host = {
      storage: this.storage,
      runtime: resolvedRuntime,
      init: () => this.init(),
      definition: (name) => registry.find(name),
      jobNames: () => registry.fetchableNames(),
      enqueue: (name, args, options) => this.enqueue(name, args, options),
      setParameter: (id, key, value) => this.setParameter(id, key, value),
      fireRecurring: (record, now) => this.recurring.fireDue(record, now),
      telemetry: this.#telemetry.jobs,
      ...(this.#payloads ? { payloads: this.#payloads } : {}),
    };
  }

  /** Opens the storage (and applies migrations) once; every call waits for the same opening, and a failed opening is tried again by the next call. */
  async init(): Promise<void> {
    return this.#ready.run();
  }

  /** Adds job definitions after construction. */
  define(...definitions: JobDefinition[]): this {
    this.#registry.add(...definitions);
    return this;
  }

  /** Registers a class so that `enqueue(Class, (s) => s.method(...))` can target its methods. */
  register<T extends object>(cls: JobClass<T>, registration?: ClassRegistration<T>): this {
    this.#registry.addClass(cls, registration);
    return this;
  }

  /** The names of the jobs this instance can run (its definitions and registered classes), sorted. */
  jobNames(): string[] {
    return this.#registry.fetchableNames().sort();
  }

  /** Enqueues a job to run as soon as a server is free; returns its id once it is stored. */
  enqueue<Args>(job: JobDefinition<Args, unknown>, args: Args, options?: EnqueueOptions): Promise<string>;
  /** Enqueues a method call of a registered class, Hangfire style: `enqueue(Mailer, (m) => m.send(to))`. */
  enqueue<T extends object>(cls: JobClass<T>, call: (instance: T) => unknown, options?: EnqueueOptions): Promise<string>;
  /** Enqueues a job by name, for a definition that lives in another process. */
  enqueue(name: string, args?: unknown, options?: EnqueueOptions): Promise<string>;
  async enqueue(target: unknown, argsOrCall?: unknown, options?: EnqueueOptions): Promise<string> {
    const job = this.#jobs.build(target, argsOrCall, options, null);
    return this.#create([job], options?.transaction, this.#fullPolicy(job.queue, options)).then((ids) => ids[0]!);
  }

  /** Enqueues many jobs of one kind in one storage call; returns their ids in order. */
  async enqueueMany<Args>(job: JobTarget<Args>, argsList: readonly Args[], options?: EnqueueOptions): Promise<string[]> {
    const { jobs, resolved } = this.#jobs.buildMany(job, argsList, options);
    return this.#create(jobs, resolved.transaction, this.#fullPolicy(resolved.queue, options));
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
    const built = this.#jobs.build(job, args, rest, { parentId, on });
    return this.#create([built], rest.transaction, this.#fullPolicy(built.queue, rest)).then((ids) => ids[0]!);
  }

  /**
   * Creates a batch (Hangfire Pro's model): the callback adds jobs, nested batches and
   * continuations (`b.then`); when it returns, all of them are written in one commit. Returns the
   * batch id; `spool.batches.get(id)` tells its progress. Needs the `batches` capability.
   */
  async batch(build: (b: BatchBuilder) => void | Promise<void>, options?: CreateBatchOptions): Promise<string> {
    return this.batches.create(build, options);
  }

  /**
   * Creates a flow: named steps with `dependsOn` (fan-out and fan-in), written in one commit. A
   * step reads its parents' results with `ctx.parents()`. A circle of dependencies is a
   * FlowCycleError. Needs the `batches` capability.
   */
  async flow(steps: readonly FlowStep[], options?: FlowOptions): Promise<CreatedFlow> {
    return this.batches.flow(steps, options);
  }

  /** Deletes a job (a running one is aborted). False when it was already deleted. */
  async delete(id: string, reason = 'Deleted by request'): Promise<boolean> {
    return this.#setState(id, JOB_STATES.filter((s) => s !== 'deleted'), 'deleted', reason, false);
  }

  /** Puts a job back in its queue to run again from its first attempt (a running one is aborted). */
  async requeue(id: string, reason = 'Requeued by request'): Promise<boolean> {
    return this.#setState(id, sourcesOf('enqueued'), 'enqueued', reason, true);
  }

  /**
   * Changes a job that has not started: its due time (scheduled only), priority, queue or
   * arguments (see docs/changing-jobs.md). One guarded write in storage: the change lands before
   * a server claims the job, or it is refused with ERR_JOB_NOT_WAITING naming the state found.
   */
  async changeJob(id: string, changes: ChangeJobOptions): Promise<void> {
    await this.init();
    await changeWaitingJob({ storage: this.storage, now: () => this.#jobs.now(), jsonArgs: (args) => this.#jobs.jsonArgs(args) }, id, changes);
  }

  /**
   * Runs a scheduled job now: it goes to its queue, keeping its attempts. False when it is already
   * enqueued; ERR_JOB_NOT_WAITING when it is awaiting its parent, running or finished.
   */
  async runNow(id: string, reason = 'Run now by request'): Promise<boolean> {
    await this.init();
    const result = await this.storage.jobSetState({ id, expected: ['scheduled'], state: 'enqueued', reason });
    if (result.ok) return true;
    if (result.previous === null) throw new JobNotFoundError(id);
    if (result.previous === 'enqueued') return false;
    throw new JobNotWaitingError(id, result.previous, [], ['scheduled']);
  }

  /** Retries a failed job from its first attempt. False when the job is not failed. */
  async retry(id: string, reason = 'Retried by request'): Promise<boolean> {
    return this.#setState(id, ['failed'], 'enqueued', reason, true);
  }

  /**
   * A job with its history and logs, or null when it does not exist (or expired). Arguments and
   * a result stored by reference are read from the file store, as if they were inline, and
   * `payloads` tells their sizes (and why one could not be read: the value then stays the reference).
   */
  async getJob(id: string, options: GetJobOptions = {}): Promise<JobView | null> {
    await this.init();
    const view = await readJobView(this.storage, id);
    return view === null ? null : readJobPayloads(view, this.files, options);
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
    return performJob(this.#host, id);
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

  /**
   * Throughput, failure rate and wait and run time percentiles per job name and queue over the last
   * hour (by minute) or the last day (by hour), from the aggregates servers keep in storage. See
   * docs/metrics.md.
   */
  async jobMetrics(window: JobMetricsWindow = 'hour'): Promise<JobMetricsReport> {
    await this.init();
    return readJobMetrics(this.storage, window);
  }

  /** Starts a server that runs this instance's jobs; resolves once it is running. */
  async startServer(options: ServerOptions = {}): Promise<Server> {
    await this.init();
    const server = new Server(this.#host, options);
    this.deadLetters.assertSupported(this.#registry.fetchableNames().flatMap((name) => this.#registry.find(name) ?? []));
    // The code's limits of what this server runs are stored before it claims anything.
    await this.limits.syncCode(this.#registry.fetchableNames().flatMap((name) => this.#registry.find(name) ?? []));
    const logger = server.options.logger ?? this.logger;
    if (logger) attachServerLogger(server, logger);
    this.#telemetry.observeServer(server.events);
    this.events.emit('server:starting', { server });
    this.#servers.add(server);
    server.events.once('stopped', () => this.#servers.delete(server));
    await server.start();
    return server;
  }

  /** Stops every server this instance started (gracefully) and closes the storage and the file store. */
  async close(): Promise<void> {
    await Promise.all([...this.#servers].map((server) => server.stop()));
    await this.storage.close();
    await this.files?.close();
  }

  /** What an enqueue into `queue` does when it is full: the enqueue's options, else the queue's, else reject. */
  #fullPolicy(queue: string, options: EnqueueOptions | undefined): FullPolicy {
    const own = this.#queues.get(queue)?.full;
    return {
      onFull: options?.onFull ?? own?.onFull ?? 'reject',
      timeoutMs: options?.fullTimeout !== undefined ? durationMs(options.fullTimeout) : (own?.timeoutMs ?? DEFAULT_FULL_TIMEOUT_MS),
    };
  }

  async #create(jobs: NewJob[], transaction: unknown, full: FullPolicy): Promise<string[]> {
    if (transaction !== undefined && !this.storage.capabilities.externalTransactions) {
      throw new CapabilityMissingError('externalTransactions', `the ${this.storage.kind} storage`, 'Enqueueing inside your transaction');
    }
    return this.#write(jobs, (traced) =>
      // A full bounded queue refuses the whole create (QueueFullError); under onFull 'wait' it is tried again as room frees.
      createWithRoom(
        this.storage,
        this.#runtime,
        full,
        () => this.storage.jobsCreate(transaction === undefined ? { jobs: traced } : { jobs: traced, transaction }),
        this.#roomLines,
        onlyQueueOf(traced),
      ),
    );
  }

  /** Writes new jobs with `send` (one storage call): arguments offloaded first, traced, announced once written. */
  async #write(jobs: NewJob[], send: (jobs: NewJob[]) => Promise<JobsCreateResult>): Promise<string[]> {
    const replacing = jobs.some((job) => job.onDuplicate === 'replace');
    if (replacing && !this.storage.capabilities.replaceDuplicates) {
      throw new CapabilityMissingError('replaceDuplicates', `the ${this.storage.kind} storage`, "Enqueueing with onDuplicate: 'replace'");
    }
    await this.init();
    const payloads = this.#payloads;
    // Large arguments go to the file store before the jobs are written; a job keeps the reference.
    const stored = payloads === null ? jobs : await offloadArgs(payloads, jobs);
    if (replacing && stored !== jobs && stored.some((job, i) => job.onDuplicate === 'replace' && job.args !== jobs[i]!.args)) {
      // Files are named after the new job, which a replace does not create: the holder would point at removed files.
      await discardArgs(payloads!, stored.filter((job, i) => job.args !== jobs[i]!.args));
      throw new ConfigError([
        { path: 'enqueue options.onDuplicate', message: `'replace' cannot hand arguments stored by reference (above ${payloads!.offloadAboveBytes} bytes) to another job; keep them smaller or use 'keep'` },
      ]);
    }
    // When the write fails, the files stay: a write whose answer was lost may have committed, and
    // the server's payload sweep removes the files of jobs that do not exist an hour later.
    const { jobs: created } = await this.#telemetry.jobs.enqueue(stored, send).catch(async (error: unknown) => {
      // A full queue's refusal is certain to have written nothing: the files have no job.
      if (error instanceof QueueFullError && payloads !== null && stored !== jobs) await discardArgs(payloads, stored.filter((job, i) => job.args !== jobs[i]!.args));
      throw error;
    });
    if (payloads !== null && stored !== jobs) {
      // A unique key held by another job answers that job's id: this one's files have no job.
      const orphans = stored.filter((job, i) => created[i]?.id !== job.id);
      if (orphans.length > 0) await discardArgs(payloads, orphans);
    }
    if (this.events.hasListeners('jobs:enqueued')) {
      const written = created.flatMap((entry, i) => (entry.created ? [{ id: entry.id, name: jobs[i]!.name, queue: jobs[i]!.queue, state: entry.state }] : []));
      if (written.length > 0) this.events.emit('jobs:enqueued', { jobs: written });
    }
    return created.map((j) => j.id);
  }

  async #setState(id: string, expected: JobState[], state: 'enqueued' | 'deleted', reason: string, resetAttempts: boolean): Promise<boolean> {
    await this.init();
    const result = await this.storage.jobSetState({ id, expected, state, reason, resetAttempts });
    if (result.previous === null) throw new JobNotFoundError(id);
    return result.ok;
  }
}

/** Writes the arguments above the threshold to the file store; answers the jobs with references in their place. */
async function offloadArgs(payloads: Payloads, jobs: NewJob[]): Promise<NewJob[]> {
  const written: NewJob[] = [];
  try {
    const out: NewJob[] = [];
    for (const job of jobs) {
      const args = await payloads.store(job.id, 'args', job.args);
      if (args === job.args) out.push(job);
      else {
        const stored = { ...job, args };
        written.push(stored);
        out.push(stored);
      }
    }
    return written.length === 0 ? jobs : out;
  } catch (error) {
    await discardArgs(payloads, written);
    throw error;
  }
}

/** Removes the argument files of jobs that were not created; a failure leaves them to the sweep. */
async function discardArgs(payloads: Payloads, jobs: readonly NewJob[]): Promise<void> {
  await Promise.all(jobs.map((job) => payloads.discard(job.id, job.args).catch(() => undefined)));
}

function resolvePayloads(files: FileStore, options: PayloadOptions | undefined, maxArgsBytes: number): Payloads {
  const resolved = resolveOptions<Required<PayloadOptions>>(
    {
      offloadAboveBytes: { kind: 'integer', default: Math.min(DEFAULT_OFFLOAD_ABOVE_BYTES, maxArgsBytes), min: 0, max: maxArgsBytes },
      maxBytes: { kind: 'integer', default: DEFAULT_MAX_PAYLOAD_BYTES, min: 1 },
    },
    options,
    'Spool options.payloads',
  );
  return new Payloads(files, resolved.offloadAboveBytes, resolved.maxBytes);
}

function checkTelemetry(value: unknown): string | null {
  if (value === false) return null;
  if (typeof value !== 'object' || value === null) return 'expected false or { tracerProvider?, meterProvider? }';
  const { tracerProvider, meterProvider } = value as TelemetryOptions;
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function') return 'expected tracerProvider to have getTracer()';
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') return 'expected meterProvider to have getMeter()';
  return null;
}

function isStorage(value: unknown): value is Storage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Storage).jobsCreate === 'function' &&
    typeof (value as Storage).jobsFetch === 'function'
  );
}

/** The one queue every job of a create goes to, or null when they go to several. */
function onlyQueueOf(jobs: readonly NewJob[]): string | null {
  const queue = jobs[0]?.queue ?? null;
  return jobs.every((job) => job.queue === queue) ? queue : null;
}
