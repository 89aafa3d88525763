import type { Meter } from '@opentelemetry/api';

import type { JobRecord } from '../job/records.js';
import type { ClientEvents } from '../client/client-events.js';
import type { ServerEvents } from '../server/server-events.js';
import type { TypedEmitter } from '../util/typed-emitter.js';

/**
 * Spool's counters and run-time histogram through an OpenTelemetry meter, counted from the same
 * typed events as the Prometheus metrics (docs/metrics.md): jobs this client wrote, outcomes this
 * process's servers recorded, handlers' run times.
 */
export class OtelJobMetrics {
  private readonly enqueued;
  private readonly succeeded;
  private readonly failed;
  private readonly runDuration;
  // Start times of running jobs, for the run time of a failure (its event carries no duration).
  private readonly startedAt = new Map<string, number>();

  constructor(
    meter: Meter,
    private readonly now: () => number,
  ) {
    this.enqueued = meter.createCounter('spool.jobs.enqueued', { description: 'Jobs this client wrote.', unit: '{job}' });
    this.succeeded = meter.createCounter('spool.jobs.succeeded', { description: "Successes recorded by this process's servers.", unit: '{job}' });
    this.failed = meter.createCounter('spool.jobs.failed', { description: 'Jobs failed for good (no attempts left, or unrecoverable).', unit: '{job}' });
    this.runDuration = meter.createHistogram('spool.job.run.duration', { description: "Handlers' run time until success or failure.", unit: 's' });
  }

  /** Counts the jobs a client writes. Returns a function that stops it. */
  observeClient(events: TypedEmitter<Pick<ClientEvents, 'jobs:enqueued'>>): () => void {
    return events.on('jobs:enqueued', ({ jobs }) => {
      for (const job of jobs) this.enqueued.add(1, { 'spool.job.name': job.name, 'messaging.destination.name': job.queue });
    });
  }

  /** Counts a server's outcomes and run times until it stops. Returns a function that stops it. */
  observeServer(events: TypedEmitter<ServerEvents>): () => void {
    const offs = [
      events.on('job:started', ({ job }) => this.startedAt.set(job.id, this.now())),
      events.on('job:succeeded', ({ job, durationMs }) => {
        this.startedAt.delete(job.id);
        this.succeeded.add(1, attributes(job));
        this.runDuration.record(durationMs / 1000, { ...attributes(job), 'spool.job.outcome': 'succeeded' });
      }),
      events.on('job:retry-scheduled', ({ job }) => this.recordFailedRun(job, 'retry-scheduled')),
      events.on('job:failed', ({ job }) => {
        this.failed.add(1, attributes(job));
        this.recordFailedRun(job, 'failed');
      }),
      events.on('job:requeued', ({ job }) => this.startedAt.delete(job.id)),
      events.on('job:abandoned', ({ job }) => this.startedAt.delete(job.id)),
    ];
    const off = (): void => {
      for (const f of offs) f();
    };
    offs.push(events.once('stopped', off));
    return off;
  }

  private recordFailedRun(job: JobRecord, outcome: 'retry-scheduled' | 'failed'): void {
    const started = this.startedAt.get(job.id);
    this.startedAt.delete(job.id);
    if (started === undefined) return;
    this.runDuration.record(Math.max(0, this.now() - started) / 1000, { ...attributes(job), 'spool.job.outcome': outcome });
  }
}

function attributes(job: JobRecord): Record<string, string> {
  return { 'spool.job.name': job.name, 'messaging.destination.name': job.queue };
}
