import type { ClientEvents } from '../client/client-events.js';
import type { JobRecord, RecurringRecord } from '../job/records.js';
import type { LoggedServer } from '../server/server-logger.js';
import { JOB_STATES } from '../states/states.js';
import type { Storage } from '../storage/contract.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { TypedEmitter } from '../util/typed-emitter.js';
import { Counter, Gauge, Histogram, renderExposition } from './exposition.js';

/** What the metrics read of a Spool instance: its events and its storage's read model. */
export interface MetricsHost {
  readonly events: TypedEmitter<ClientEvents>;
  readonly storage: Pick<Storage, 'monitoring' | 'now' | 'recurringList'>;
  init(): Promise<void>;
}

/** Options of {@link SpoolMetrics}. */
export interface SpoolMetricsOptions {
  /** Upper bounds in seconds of the wait-time and run-time histograms. Default from 5 ms to 1 h. */
  buckets?: readonly number[];
  /** The clock that times a handler whose run time the server does not report. Default: the system clock. */
  clock?: Clock;
}

/** The default histogram bounds, in seconds: from a no-op job's latency to an hour-long export. */
export const DEFAULT_METRICS_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Spool's Prometheus metrics for one Spool instance. Counters and histograms come from this
 * process's events (jobs its client wrote, jobs its servers ran: Prometheus sums them over the
 * processes it scrapes); gauges are read from storage at each scrape, so they are the same in every
 * process. Create it at start-up, before enqueueing and starting servers: it counts from then on.
 * See docs/metrics.md.
 */
export class SpoolMetrics {
  private readonly enqueued = new Counter('spool_jobs_enqueued_total', 'Jobs written to storage by this process, by job name and queue.');
  private readonly succeeded = new Counter('spool_jobs_succeeded_total', 'Jobs whose success this process recorded, by job name and queue.');
  private readonly failed = new Counter('spool_jobs_failed_total', 'Jobs this process failed for good (no attempts left, or unrecoverable), by job name and queue.');
  private readonly retried = new Counter('spool_jobs_retried_total', 'Failures this process scheduled for a retry, by job name and queue.');
  private readonly serverErrors = new Counter('spool_server_errors_total', "Failures of this process's server background processes or storage calls, by process.");
  private readonly waitTime: Histogram;
  private readonly runTime: Histogram;
  private readonly jobs = new Gauge('spool_jobs', 'Jobs in storage, by state.');
  private readonly queueEnqueued = new Gauge('spool_queue_enqueued_jobs', 'Jobs waiting in a queue (state enqueued), by queue.');
  private readonly queuePaused = new Gauge('spool_queue_paused', '1 when servers skip the queue, else 0.');
  private readonly queueOldest = new Gauge('spool_queue_oldest_enqueued_age_seconds', 'How long the oldest job of a queue has been waiting.');
  private readonly serversAlive = new Gauge('spool_servers_alive', 'Servers whose heartbeat storage holds.');
  private readonly recurringJobs = new Gauge('spool_recurring_jobs', 'Recurring jobs in storage.');
  private readonly recurringLag = new Gauge('spool_recurring_lag_seconds', 'How far an unpaused recurring job is behind its next due occurrence; 0 when on time.');
  private readonly startedAt = new Map<string, number>();
  private readonly detach: Array<() => void> = [];
  private readonly clock: Clock;

  constructor(
    private readonly host: MetricsHost,
    options: SpoolMetricsOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    const buckets = [...(options.buckets ?? DEFAULT_METRICS_BUCKETS)].sort((a, b) => a - b);
    this.waitTime = new Histogram('spool_job_wait_seconds', 'Time from when a job was due (its run time, else its creation) to its start, by job name.', buckets);
    this.runTime = new Histogram('spool_job_run_seconds', "Handlers' run time until success or failure, by job name.", buckets);
    this.detach.push(
      host.events.on('jobs:enqueued', ({ jobs }) => {
        for (const job of jobs) this.enqueued.inc({ name: job.name, queue: job.queue });
      }),
      host.events.on('server:starting', ({ server }) => this.observe(server)),
    );
  }

  /** Counts the jobs of a server this instance did not start through `startServer`. Returns a function that stops it. */
  observe(server: Pick<LoggedServer, 'events'>): () => void {
    const e = server.events;
    const offs = [
      e.on('job:started', ({ job }) => {
        const now = this.clock.now();
        this.startedAt.set(job.id, now);
        const dueAt = (job.runAt ?? job.createdAt).getTime();
        this.waitTime.observe({ name: job.name }, Math.max(0, ((job.startedAt?.getTime() ?? now) - dueAt) / 1000));
      }),
      e.on('job:succeeded', ({ job, durationMs }) => {
        this.startedAt.delete(job.id);
        this.succeeded.inc(jobLabels(job));
        this.runTime.observe({ name: job.name }, durationMs / 1000);
      }),
      e.on('job:retry-scheduled', ({ job }) => {
        this.retried.inc(jobLabels(job));
        this.observeFailure(job);
      }),
      e.on('job:failed', ({ job }) => {
        this.failed.inc(jobLabels(job));
        this.observeFailure(job);
      }),
      e.on('job:requeued', ({ job }) => this.startedAt.delete(job.id)),
      e.on('job:abandoned', ({ job }) => this.startedAt.delete(job.id)),
      e.on('error', ({ process }) => this.serverErrors.inc({ process })),
    ];
    const off = () => {
      for (const f of offs) f();
    };
    offs.push(e.once('stopped', off));
    this.detach.push(off);
    return off;
  }

  /** The metrics in the Prometheus text format; reads the gauges from storage first. */
  async render(): Promise<string> {
    await this.host.init();
    const { monitoring } = this.host.storage;
    const [stats, queues, recurring, now] = await Promise.all([monitoring.stats(), monitoring.queues(), this.allRecurring(), this.host.storage.now()]);
    for (const gauge of [this.jobs, this.queueEnqueued, this.queuePaused, this.queueOldest, this.recurringLag]) gauge.clear();
    for (const state of JOB_STATES) this.jobs.set({ state }, stats.states[state] ?? 0);
    for (const queue of queues) {
      this.queueEnqueued.set({ queue: queue.name }, queue.enqueued);
      this.queuePaused.set({ queue: queue.name }, queue.paused ? 1 : 0);
      this.queueOldest.set({ queue: queue.name }, queue.oldestEnqueuedAt ? Math.max(0, (now - queue.oldestEnqueuedAt.getTime()) / 1000) : 0);
    }
    this.serversAlive.set({}, stats.servers);
    this.recurringJobs.set({}, stats.recurring);
    for (const record of recurring) {
      if (record.paused || record.nextRunAt === null) continue;
      this.recurringLag.set({ id: record.id }, Math.max(0, (now - record.nextRunAt.getTime()) / 1000));
    }
    return renderExposition([
      this.jobs,
      this.queueEnqueued,
      this.queuePaused,
      this.queueOldest,
      this.serversAlive,
      this.recurringJobs,
      this.recurringLag,
      this.enqueued,
      this.succeeded,
      this.failed,
      this.retried,
      this.serverErrors,
      this.waitTime,
      this.runTime,
    ]);
  }

  /** Stops counting: detaches from the instance and its servers. */
  close(): void {
    for (const off of this.detach.splice(0)) off();
  }

  private observeFailure(job: JobRecord): void {
    const started = this.startedAt.get(job.id);
    this.startedAt.delete(job.id);
    if (started !== undefined) this.runTime.observe({ name: job.name }, Math.max(0, this.clock.now() - started) / 1000);
  }

  private async allRecurring(): Promise<RecurringRecord[]> {
    const all: RecurringRecord[] = [];
    for (;;) {
      const page = await this.host.storage.recurringList({ limit: 500, afterId: all.at(-1)?.id });
      all.push(...page);
      if (page.length < 500) return all;
    }
  }
}

function jobLabels(job: JobRecord): { name: string; queue: string } {
  return { name: job.name, queue: job.queue };
}
