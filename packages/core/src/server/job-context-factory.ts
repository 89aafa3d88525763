import type { JobContext, JobLogger, ParentJob } from '../job/job-context.js';
import type { FetchedJob, Json, LogLevel } from '../job/records.js';
import { toJsonArgs } from '../job/json-args.js';
import { ConfigError } from '../errors.js';
import type { Spool } from '../client/spool.js';
import type { LogBuffer } from './log-buffer.js';

/** Builds the `ctx` handed to a handler: persisted logs, progress, parameters, parent, enqueueing. */
export function createJobContext(spool: Spool, job: FetchedJob, signal: AbortSignal, logs: LogBuffer): JobContext {
  const log = (level: LogLevel) => (message: string) =>
    logs.add({ jobId: job.id, attempt: job.attempt, level, message: String(message), at: new Date(spool.clock.now()) });
  const logger: JobLogger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const progress = new ProgressWriter(spool, job);
  return {
    id: job.id,
    name: job.name,
    queue: job.queue,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    signal,
    log: logger,
    progress: (percent) => progress.set(percent),
    getParameter: async <T extends Json = Json>(key: string) => {
      const record = await spool.storage.jobGet({ id: job.id });
      return record?.parameters[key] as T | undefined;
    },
    setParameter: (key, value) => spool.setParameter(job.id, key, value),
    parent: async (): Promise<ParentJob | null> => {
      if (job.parentId === null) return null;
      const parent = await spool.storage.jobGet({ id: job.parentId });
      if (!parent) return null;
      return { id: parent.id, state: parent.state, result: parent.result, on: job.continueOn ?? 'succeeded' };
    },
    jobs: {
      enqueue: (name, args, options) => spool.enqueue(name, args, options),
    },
  };
}

/**
 * Writes progress without flooding the storage: one write in flight at a time, and while it runs
 * only the latest value waits. The last value reported always lands.
 */
class ProgressWriter {
  private inFlight: Promise<void> | null = null;
  private pending: number | null = null;

  constructor(
    private readonly spool: Spool,
    private readonly job: FetchedJob,
  ) {}

  set(percent: number): Promise<void> {
    if (typeof percent !== 'number' || !Number.isFinite(percent)) {
      return Promise.reject(new ConfigError([{ path: 'ctx.progress', message: `expected a number from 0 to 100, got ${String(percent)}` }]));
    }
    this.pending = Math.min(100, Math.max(0, percent));
    this.inFlight ??= this.drain();
    return this.inFlight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== null) {
        const value = this.pending;
        this.pending = null;
        await this.spool.storage.jobProgressSet({ id: this.job.id, leaseToken: this.job.leaseToken, progress: value });
      }
    } finally {
      this.inFlight = null;
    }
  }
}

/** The JSON value of a handler's result (undefined becomes null); throws when it is not JSON. */
export function toJsonResult(value: unknown): Json {
  return toJsonArgs(value, 16 * 1024 * 1024, 'result');
}
