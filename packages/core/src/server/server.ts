import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { HandlerOverdueError, JobCancelledError, LeaseLostError, OutcomesUnrecordedError, ShutdownError } from '../errors.js';
import type { FetchedJob, JobRecord } from '../job/records.js';
import type { CompletionOutcome, Handover, StorageEvent } from '../storage/contract.js';
import type { Runtime, Timer } from '../util/runtime.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { BackgroundProcess, ProcessContext } from './background-process.js';
import type { CompletionReport } from './completer.js';
import { Completer } from './completer.js';
import { DelayedScheduler } from './delayed-scheduler.js';
import { ExpirationManager } from './expiration-manager.js';
import { PayloadSweeper } from './payload-sweeper.js';
import { FetchLoop } from './fetch-loop.js';
import { Heartbeat } from './heartbeat.js';
import { ABORT_GRACE_MS, JobRunner, RunningJob } from './job-runner.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LogBuffer } from './log-buffer.js';
import { MetricsFlusher } from './metrics-flusher.js';
import { PrefetchBuffer } from './prefetch-buffer.js';
import { RecurringScheduler } from './recurring-scheduler.js';
import type { ResolvedServerOptions, ServerOptions } from './server-options.js';
import { resolveServerOptions } from './server-options.js';
import type { ServerEvents } from './server-events.js';
import type { ServerHost } from './server-host.js';
import { ThreadPool } from './thread-pool.js';
import { Watchdog } from './watchdog.js';

/** The outcome of a job claimed ahead that never started because its server stops. */
const RETURNED_UNSTARTED: CompletionOutcome = { state: 'enqueued', reason: 'Returned unstarted: the server is shutting down', refundAttempt: true };

/**
 * A server: runs jobs from its queues with the job definitions of its host (a Spool instance's, as
 * `spool.startServer()` builds it). A composition of small background processes (fetch, lease
 * keeper, delayed and recurring schedulers, heartbeat, watchdog, expiration) with one lifecycle.
 * Hangfire's BackgroundJobServer.
 */
export class Server {
  /** Unique id: name, process id and a random suffix. */
  readonly id: string;
  readonly options: ResolvedServerOptions;
  /** Typed events: job outcomes, errors, start and stop. */
  readonly events = new TypedEmitter<ServerEvents>();
  readonly #running = new Map<string, RunningJob>();
  /** Jobs given up (timed out or aborted) whose handlers have not returned: each keeps its slot. */
  readonly #overdue = new Set<RunningJob>();
  readonly #buffer: PrefetchBuffer;
  readonly #settling = new Set<Promise<void>>();
  readonly #logs: LogBuffer;
  readonly #completer: Completer;
  readonly #runner: JobRunner;
  readonly #fetchLoop: FetchLoop;
  readonly #delayedScheduler: DelayedScheduler;
  /** Stopped last, after the last outcomes are recorded, so that its final flush counts them. */
  readonly #metrics: MetricsFlusher;
  /** Every background process, the fetch loop and the delayed scheduler among them. */
  readonly #processes: BackgroundProcess[];
  #threadPool: ThreadPool | null = null;
  readonly #runtime: Runtime;
  readonly #startedAt: Date;
  #unsubscribe: (() => void) | null = null;
  #stopping: Promise<void> | null = null;
  /** Room set aside for the hand-overs of writes under way (decision 53). */
  #handoverRoom = 0;
  readonly #signalHandlers = new Map<NodeJS.Signals, () => void>();
  /** The job names this server runs (and fetches): every definition its host had when it was made. */
  readonly jobNames: readonly string[];

  readonly #host: ServerHost;

  /** A server on `host`; `spool.startServer()` builds one on its Spool's host and starts it. */
  constructor(host: ServerHost, options: ServerOptions = {}) {
    this.#host = host;
    this.options = resolveServerOptions(options);
    this.id = `${this.options.name ?? hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#runtime = host.runtime;
    this.#startedAt = new Date(this.#runtime.clock.now());
    const names = host.jobNames();
    this.jobNames = names;
    const report = (process: string, error: unknown) => this.events.emit('error', { process, error });
    this.#logs = new LogBuffer(host.storage, this.#runtime, (error) => report('logs', error));
    this.#completer = new Completer(
      host.storage,
      this.#runtime,
      this.id,
      this.#logs,
      (error) => report('completer', error),
      (sent, handedOver) => {
        if (!this.#stopping) this.#fetchLoop.outcomesWritten(sent, handedOver);
      },
      () => this.#fetchLoop.claimsStarted,
      { offer: () => this.#handoverOffer(), taken: (offer, jobs) => this.#handedOver(offer, jobs) },
    );
    this.#runner = new JobRunner(host, this.#logs, () => (this.#threadPool ??= new ThreadPool(this.options.threads, this.#runtime)));
    const o = this.options;
    this.#buffer = new PrefetchBuffer(o.prefetch, o.concurrency);
    const fetchHost = {
      serverId: this.id,
      queues: o.queues,
      names,
      leaseMs: o.leaseTime,
      pollMs: o.pollInterval,
      capacity: () => this.#capacity(),
      heldCount: () => this.#heldCount(),
      bufferedCount: () => this.#buffer.size,
      freeSlots: () => o.concurrency - this.#busySlots - this.#buffer.size,
      concurrency: o.concurrency,
      accept: (jobs: FetchedJob[]) => {
        for (const job of jobs) this.#buffer.add(job);
        this.#startBuffered();
      },
    };
    const context: ProcessContext = { storage: host.storage, runtime: this.#runtime, report };
    this.#fetchLoop = new FetchLoop(context, fetchHost);
    this.#delayedScheduler = new DelayedScheduler(context, o.pollInterval);
    this.#metrics = new MetricsFlusher(context, this.events, o.metricsFlushInterval);
    this.#processes = [
      this.#fetchLoop,
      new LeaseKeeper(context, () => this.#heldLeases(), (id) => this.#onLeaseLost(id), o.leaseTime, o.leaseRenewInterval),
      this.#delayedScheduler,
      new RecurringScheduler(context, (record, now) => host.fireRecurring(record, now), o.recurringPollInterval),
      new Heartbeat(context, () => this.#describe(), o.heartbeatInterval),
      new Watchdog(context, { intervalMs: o.rescueInterval, maxRescues: o.maxRescues, serverTimeoutMs: o.serverTimeout }, (r) => this.events.emit('jobs:rescued', r)),
      new ExpirationManager(context, o.expirationInterval, o.expirationBatchSize),
      ...(host.payloads ? [new PayloadSweeper(context, host.payloads.files, o.payloadSweepInterval)] : []),
    ];
  }

  /** Starts every background process. Resolves once the server has announced itself. */
  async start(): Promise<this> {
    await this.#host.init();
    await this.#host.storage.serverHeartbeat({ server: this.#describe() });
    this.#unsubscribe = this.#host.storage.subscribe((event) => this.#onStorageEvent(event));
    for (const process of this.#processes) process.start();
    this.#metrics.start();
    if (this.options.handleSignals) this.#installSignalHandlers();
    this.events.emit('started', { serverId: this.id });
    return this;
  }

  /** Jobs running now, including handlers that outlived their job's outcome (they keep their slot). */
  get runningCount(): number {
    return this.#busySlots;
  }

  /** Slots taken: running handlers, and handlers still running after their job was given up. */
  get #busySlots(): number {
    return this.#running.size + this.#overdue.size;
  }

  /**
   * Stops gracefully: fetches no more jobs, lets running ones finish within `shutdownTimeout`, then
   * aborts their signals and puts them back in the queue (never marking them failed).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    const o = this.options;
    const now = () => this.#runtime.clock.now();
    const within = (promise: Promise<unknown>, deadline: number) => settlesWithin(this.#runtime, promise, deadline);
    // Every step is bounded, so that a stop returns also while the storage is unreachable.
    const deadline = now() + o.shutdownTimeout + ABORT_GRACE_MS + o.flushTimeout;
    await within(this.#fetchLoop.stop(), deadline);
    // Jobs claimed ahead never started: hand them back at once so that other servers can run them.
    for (const job of this.#buffer.drain()) {
      void this.#completer.submit({ id: job.id, leaseToken: job.leaseToken, outcome: RETURNED_UNSTARTED });
    }
    await within(Promise.all(this.#settling), now() + o.shutdownTimeout);
    for (const running of this.#running.values()) running.abort('shutdown', new ShutdownError());
    // An aborted job's outcome is elected within the grace period; its write is the completer's.
    await within(Promise.all(this.#settling), now() + ABORT_GRACE_MS + 100);
    await within(Promise.all(this.#processes.map((p) => p.stop())), deadline);
    const unrecorded = await this.#completer.close(Math.max(0, deadline - now()));
    if (unrecorded > 0) this.events.emit('error', { process: 'shutdown', error: new OutcomesUnrecordedError(unrecorded) });
    await within(this.#logs.flush(), deadline);
    await within(this.#metrics.stop(), Math.max(deadline, now() + 1000));
    await within(this.#threadPool?.close() ?? Promise.resolve(), deadline);
    this.#unsubscribe?.();
    try {
      if (!(await within(this.#host.storage.serverRemove({ id: this.id }), Math.max(deadline, now() + 1000)))) {
        this.events.emit('error', { process: 'shutdown', error: new Error('The server record was not removed before the stop deadline; it expires as a dead server.') });
      }
    } catch (error) {
      this.events.emit('error', { process: 'shutdown', error });
    }
    this.#removeSignalHandlers();
    this.events.emit('stopped', { serverId: this.id, unrecorded });
  }

  /**
   * The room a completion write may fill with jobs handed over, set aside until it answers: the
   * server's free room less what a claim under way asked for. None while the fetch loop says a
   * hand-over is out of place, or while the server stops.
   */
  #handoverOffer(): Handover | undefined {
    if (this.#stopping || !this.#fetchLoop.mayHandOver()) return undefined;
    const room = this.#capacity() - this.#heldCount() - this.#fetchLoop.claimAsking;
    if (room <= 0) return undefined;
    this.#handoverRoom += room;
    return { queues: this.options.queues, names: this.jobNames, limit: room, leaseMs: this.options.leaseTime };
  }

  /** A write's hand-over answered: its jobs join the buffer, the room set aside is free again. */
  #handedOver(offer: Handover, jobs: FetchedJob[]): void {
    this.#handoverRoom -= offer.limit;
    if (this.#stopping) {
      // The buffer was handed back already: these go back the same way.
      for (const job of jobs) void this.#completer.submit({ id: job.id, leaseToken: job.leaseToken, outcome: RETURNED_UNSTARTED });
      return;
    }
    for (const job of jobs) this.#buffer.add(job);
    this.#startBuffered();
  }

  /** Jobs the server may hold now: its concurrency plus what it wants to claim ahead. */
  #capacity(): number {
    return this.options.concurrency + this.#buffer.target();
  }

  /**
   * Jobs held now: running, claimed ahead, and the room set aside for hand-overs. Outcomes waiting
   * beyond one batch count as held too: claiming waits while recording falls behind.
   */
  #heldCount(): number {
    return this.#busySlots + this.#buffer.size + this.#completer.backlog + this.#handoverRoom;
  }

  /** Starts buffered jobs while slots are free. */
  #startBuffered(): void {
    while (this.#busySlots < this.options.concurrency && !this.#stopping) {
      const job = this.#buffer.take();
      if (!job) return;
      this.#startJob(job);
    }
  }

  /**
   * The leases this server holds: jobs running, claimed ahead, and run with their outcome awaiting
   * its write. Each stays renewed until its outcome is written, so recording that falls behind never
   * lets another server take a job that has already run.
   */
  #heldLeases(): Array<{ id: string; leaseToken: string }> {
    const leases: Array<{ id: string; leaseToken: string }> = [];
    for (const running of this.#running.values()) if (running.cause === null) leases.push({ id: running.job.id, leaseToken: running.job.leaseToken });
    for (const job of this.#buffer.values()) leases.push({ id: job.id, leaseToken: job.leaseToken });
    for (const lease of this.#completer.pendingLeases()) leases.push(lease);
    return leases;
  }

  /** A lease is gone: abort the run, or forget the job if it had not started. */
  #onLeaseLost(id: string): void {
    const buffered = this.#buffer.delete(id);
    if (buffered) this.events.emit('job:abandoned', { job: buffered, reason: 'its lease was lost before it started' });
    this.#running.get(id)?.abort('lease-lost', new LeaseLostError());
  }

  #startJob(job: FetchedJob): void {
    // The same job fetched again while an earlier run is still here: that run's lease expired and
    // the job was rescued (possibly by this very server). The earlier run no longer owns it.
    this.#running.get(job.id)?.abort('lease-lost', new LeaseLostError());
    const running = new RunningJob(job, this.#runtime.clock.now());
    this.#running.set(job.id, running);
    this.events.emit('job:started', { job });
    const settle = this.#runner
      .run(running)
      .catch((error: unknown) => {
        this.events.emit('error', { process: 'runner', error });
        return null;
      })
      .then((outcome) => this.#finish(running, outcome));
    this.#settling.add(settle);
    void settle.finally(() => this.#settling.delete(settle));
  }

  async #finish(running: RunningJob, outcome: CompletionOutcome | null): Promise<void> {
    const { job } = running;
    // Leave the running set before recording, so this server's own state event is not a cancellation.
    if (this.#running.get(job.id) === running) this.#running.delete(job.id);
    this.#buffer.recordDuration(this.#runtime.clock.now() - running.startedAt);
    if (running.handlerReturned) this.#slotFreed();
    else this.#holdOverdue(running);
    if (outcome === null) {
      this.events.emit('job:abandoned', { job, reason: running.cause ?? 'unknown' });
      return;
    }
    const report = await this.#completer.submit({ id: job.id, leaseToken: job.leaseToken, outcome });
    this.#emitReport(job, report, this.#runtime.clock.now() - running.startedAt);
  }

  /**
   * Keeps the slot of a handler that outlived its job's outcome until it returns: `concurrency` is a
   * hard limit on handlers running at once, whatever they do with their signal.
   */
  #holdOverdue(running: RunningJob): void {
    this.#overdue.add(running);
    const error = new HandlerOverdueError(running.job.id, running.cause ?? 'aborted');
    this.events.emit('job:overdue', { job: running.job, error });
    this.#logs.add({ jobId: running.job.id, attempt: running.job.attempt, level: 'warn', message: error.message, at: new Date(this.#runtime.clock.now()) });
    void running.handlerDone.then(() => {
      this.#overdue.delete(running);
      this.#slotFreed();
    });
  }

  #slotFreed(): void {
    if (this.#stopping) return;
    this.#startBuffered();
    this.#fetchLoop.slotFreed();
  }

  #emitReport(job: JobRecord, report: CompletionReport, durationMs: number): void {
    switch (report.answer) {
      case 'recorded':
      case 'replaced':
        this.#emitOutcome(job, report.outcome, durationMs);
        break;
      case 'refused':
        this.events.emit('job:abandoned', { job, reason: 'the job was changed by someone else while it ran' });
        break;
      case 'unrecorded':
        this.events.emit('job:abandoned', { job, reason: 'its outcome was not written before the server stopped; it returns to the queue when its lease expires' });
        break;
      default: {
        const never: never = report.answer;
        return never;
      }
    }
  }

  #emitOutcome(job: JobRecord, outcome: CompletionOutcome, durationMs: number): void {
    switch (outcome.state) {
      case 'succeeded':
        this.events.emit('job:succeeded', { job, result: outcome.result, durationMs });
        break;
      case 'scheduled':
        if (outcome.snoozed && outcome.pauseGates !== undefined) this.events.emit('job:rate-limited', { job, until: outcome.runAt });
        else if (outcome.snoozed) this.events.emit('job:snoozed', { job, runAt: outcome.runAt });
        else this.events.emit('job:retry-scheduled', { job, error: outcome.error, runAt: outcome.runAt, durationMs });
        break;
      case 'failed':
        this.events.emit('job:failed', { job, error: outcome.error, durationMs });
        break;
      case 'enqueued':
        this.events.emit('job:requeued', { job, reason: outcome.reason });
        break;
      default: {
        const never: never = outcome;
        return never;
      }
    }
  }

  #onStorageEvent(event: StorageEvent): void {
    switch (event.type) {
      case 'jobs-enqueued':
        if (event.queues.some((q) => this.options.queues.includes(q))) this.#fetchLoop.wake();
        break;
      case 'jobs-scheduled':
        this.#delayedScheduler.wake();
        break;
      case 'job-state': {
        // Someone may have moved a job this server runs (deleted or requeued it). An event from
        // another process can be stale (a rescue announced after this server fetched the job
        // again), so ask the storage whether the lease still holds before aborting the handler.
        const running = this.#running.get(event.id);
        if (running && running.cause === null) void this.#confirmLease(running.job, event.state);
        const buffered = this.#buffer.get(event.id);
        if (buffered) void this.#confirmLease(buffered, event.state);
        break;
      }
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  async #confirmLease(job: FetchedJob, state: string): Promise<void> {
    try {
      const { lost } = await this.#host.storage.jobLeaseExtend({ leases: [{ id: job.id, leaseToken: job.leaseToken }], leaseMs: this.options.leaseTime });
      if (lost.length === 0) return;
      const buffered = this.#buffer.get(job.id);
      if (buffered?.leaseToken === job.leaseToken) {
        this.#buffer.delete(job.id);
        this.events.emit('job:abandoned', { job, reason: `moved to ${state} before it started` });
      }
      const running = this.#running.get(job.id);
      if (running?.job.leaseToken === job.leaseToken) running.abort('cancelled', new JobCancelledError(`The job was moved to ${state} while it ran.`));
    } catch (error) {
      // The lease keeper checks again on its next round.
      this.events.emit('error', { process: 'lease-check', error });
    }
  }

  #describe() {
    return {
      id: this.id,
      hostname: hostname(),
      pid: process.pid,
      queues: [...this.options.queues],
      concurrency: this.options.concurrency,
      jobNames: [...this.jobNames],
      running: this.#running.size,
      startedAt: this.#startedAt,
    };
  }

  #installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = () => {
        void this.stop().then(() => {
          // If nobody else listens, re-raise the signal so the process ends as it would without us.
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
      };
      this.#signalHandlers.set(signal, handler);
      process.once(signal, handler);
    }
  }

  #removeSignalHandlers(): void {
    for (const [signal, handler] of this.#signalHandlers) process.off(signal, handler);
    this.#signalHandlers.clear();
  }
}

/** Waits for `promise` until `deadline` (epoch ms on the runtime's clock); true if it settled in time. Never rejects. */
async function settlesWithin(runtime: Runtime, promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: Timer | undefined;
  const expired = new Promise<false>((resolve) => (timer = runtime.setTimer(() => resolve(false), deadline - runtime.clock.now())));
  try {
    return await Promise.race([promise.then(() => true, () => true), expired]);
  } finally {
    timer?.clear();
  }
}
