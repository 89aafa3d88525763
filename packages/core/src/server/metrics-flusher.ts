import { MetricsRecorder, METRICS_RETENTION_MS } from '../metrics/metrics-recorder.js';
import type { MetricsPeriod } from '../storage/metrics-contract.js';
import type { TypedEmitter } from '../util/typed-emitter.js';
import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';
import type { ServerEvents } from './server-events.js';

/** How often old metric counts are removed. */
const EXPIRE_EVERY_MS = 600_000;

/**
 * Gathers the job metrics of one server from its events (starts and recorded outcomes) and adds
 * them to storage every `intervalMs`, in one call, and once more when the server stops. Counts
 * that fail to be stored are kept for the next round; a crash loses at most one interval of them.
 * Removes counts past their retention every ten minutes.
 */
export class MetricsFlusher extends BackgroundProcess {
  readonly #recorder = new MetricsRecorder();
  readonly #offs: Array<() => void>;
  #expiredAt = Number.NEGATIVE_INFINITY;

  constructor(
    context: ProcessContext,
    events: TypedEmitter<ServerEvents>,
    private readonly intervalMs: number,
  ) {
    super('metrics', context);
    const now = () => this.runtime.clock.now();
    const r = this.#recorder;
    this.#offs = [
      events.on('job:started', ({ job }) => {
        const startedAt = job.startedAt?.getTime() ?? now();
        r.started(job.name, job.queue, startedAt, startedAt - (job.runAt ?? job.createdAt).getTime());
      }),
      events.on('job:succeeded', ({ job, durationMs }) => r.outcome(job.name, job.queue, 'succeeded', now(), durationMs)),
      events.on('job:retry-scheduled', ({ job, durationMs }) => r.outcome(job.name, job.queue, 'retried', now(), durationMs)),
      events.on('job:failed', ({ job, durationMs }) => r.outcome(job.name, job.queue, 'failed', now(), durationMs)),
    ];
  }

  protected async tick(): Promise<number> {
    await this.flush();
    const now = this.runtime.clock.now();
    if (now - this.#expiredAt >= EXPIRE_EVERY_MS) {
      for (const period of Object.keys(METRICS_RETENTION_MS) as MetricsPeriod[]) {
        await this.storage.metricsExpire({ period, before: new Date(now - METRICS_RETENTION_MS[period]) });
      }
      this.#expiredAt = now;
    }
    return this.intervalMs;
  }

  /** Stops the loop, then adds what was gathered since the last round. */
  override async stop(): Promise<void> {
    await super.stop();
    for (const off of this.#offs) off();
    try {
      await this.flush();
    } catch {
      // Storage is unreachable at shutdown: these counts are lost, as a crash would lose them.
    }
  }

  /** Adds the gathered counts to storage; on failure keeps them for the next round. */
  async flush(): Promise<void> {
    if (this.#recorder.empty) return;
    const counts = this.#recorder.take();
    try {
      await this.storage.metricsRecord({ counts });
    } catch (error) {
      this.#recorder.restore(counts);
      throw error;
    }
  }
}
