import { ConfigError, JobSnoozedSignal } from '../errors.js';
import type { Duration } from '../options/duration.js';
import { parseDuration } from '../options/duration.js';
import type { JobContext, JobEnqueuer, JobLogger, ParentJob, StepParent } from '../job/job-context.js';
import { PARENTS_PARAMETER } from '../flows/flow-parameters.js';
import type { FetchedJob, Json, LogLevel } from '../job/records.js';
import { toJsonArgs } from '../job/json-args.js';
import type { PayloadSlot } from '../files/payloads.js';
import { payloadReference, readPayload } from '../files/payloads.js';
import type { LogBuffer } from './log-buffer.js';
import type { ServerHost } from './server-host.js';

/**
 * Builds the `ctx` handed to a handler: persisted logs, progress, parameters, parent, enqueueing.
 */
export function createJobContext(host: ServerHost, job: FetchedJob, running: { readonly signal: AbortSignal }, logs: LogBuffer): JobContext {
  return new RunContext(host, job, running, logs);
}

/**
 * A handler's `ctx`. Every member is made on first use (most short jobs touch none of them), and
 * members are getters, so `const { log, progress } = ctx` works like reading them one by one.
 */
class RunContext implements JobContext {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  private logger: JobLogger | null = null;
  private progressWriter: ProgressWriter | null = null;
  private functions: {
    progress?: JobContext['progress'];
    getParameter?: JobContext['getParameter'];
    setParameter?: JobContext['setParameter'];
    parent?: JobContext['parent'];
    parents?: JobContext['parents'];
    jobs?: JobEnqueuer;
  } = {};

  constructor(
    private readonly host: ServerHost,
    private readonly job: FetchedJob,
    private readonly running: { readonly signal: AbortSignal },
    private readonly logs: LogBuffer,
  ) {
    this.id = job.id;
    this.name = job.name;
    this.queue = job.queue;
    this.attempt = job.attempt;
    this.maxAttempts = job.maxAttempts;
  }

  get signal(): AbortSignal {
    return this.running.signal;
  }

  get snooze(): JobContext['snooze'] {
    return snoozeJob;
  }

  get log(): JobLogger {
    return (this.logger ??= createLogger(this.host, this.job, this.logs));
  }

  get progress(): JobContext['progress'] {
    return (this.functions.progress ??= (percent) => (this.progressWriter ??= new ProgressWriter(this.host, this.job)).set(percent));
  }

  get getParameter(): JobContext['getParameter'] {
    return (this.functions.getParameter ??= async <T extends Json = Json>(key: string) => {
      const record = await this.host.storage.jobGet({ id: this.job.id });
      return record?.parameters[key] as T | undefined;
    });
  }

  get setParameter(): JobContext['setParameter'] {
    return (this.functions.setParameter ??= (key, value) => this.host.setParameter(this.job.id, key, value));
  }

  get parent(): JobContext['parent'] {
    return (this.functions.parent ??= async (): Promise<ParentJob | null> => {
      if (this.job.parentId === null) return null;
      const parent = await this.host.storage.jobGet({ id: this.job.parentId });
      if (!parent) return null;
      const result = await resolveStored(this.host, parent.id, 'result', parent.result);
      return { id: parent.id, state: parent.state, result, on: this.job.continueOn ?? 'succeeded' };
    });
  }

  get parents(): JobContext['parents'] {
    return (this.functions.parents ??= async (): Promise<Record<string, StepParent>> => {
      const named = this.job.parameters[PARENTS_PARAMETER];
      if (typeof named !== 'object' || named === null || Array.isArray(named)) return {};
      const entries = await Promise.all(
        Object.entries(named).map(async ([step, id]) => {
          const parent = typeof id === 'string' ? await this.host.storage.jobGet({ id }) : null;
          if (!parent) return [];
          return [[step, { id: parent.id, state: parent.state, result: await resolveStored(this.host, parent.id, 'result', parent.result) }] as const];
        }),
      );
      return Object.fromEntries(entries.flat());
    });
  }

  get jobs(): JobContext['jobs'] {
    return (this.functions.jobs ??= { enqueue: (name, args, options) => this.host.enqueue(name, args, options) });
  }
}

function createLogger(host: ServerHost, job: FetchedJob, logs: LogBuffer): JobLogger {
  const log = (level: LogLevel) => (message: string) =>
    logs.add({ jobId: job.id, attempt: job.attempt, level, message: String(message), at: new Date(host.runtime.clock.now()) });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * Writes progress without flooding the storage: one write in flight at a time, and while it runs
 * only the latest value waits. The last value reported always lands.
 */
class ProgressWriter {
  private inFlight: Promise<void> | null = null;
  private pending: number | null = null;

  constructor(
    private readonly host: ServerHost,
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
        await this.host.storage.jobProgressSet({ id: this.job.id, leaseToken: this.job.leaseToken, progress: value });
      }
    } finally {
      this.inFlight = null;
    }
  }
}

/** Largest result kept inline, as JSON bytes: 16 MiB. */
export const MAX_INLINE_RESULT_BYTES = 16 * 1024 * 1024;

/** The JSON value of a handler's result (undefined becomes null); throws when it is not JSON. */
export function toJsonResult(value: unknown): Json {
  return toJsonArgs(value, MAX_INLINE_RESULT_BYTES, 'result');
}

/**
 * A stored value as the handler sees it: a by-reference payload read from the host's file store,
 * an inline value as it is.
 */
export async function resolveStored(host: ServerHost, jobId: string, slot: PayloadSlot, value: Json): Promise<Json> {
  const reference = payloadReference(value);
  if (reference === null) return value;
  return readPayload(host.payloads?.files ?? null, jobId, slot, reference);
}

/** `ctx.snooze`: throws the signal the runner turns into a snooze (validated here, where the handler sees the error). */
export function snoozeJob(delay: Duration): never {
  const parsed = parseDuration(delay);
  if (!parsed.ok) throw new ConfigError([{ path: 'ctx.snooze(delay)', message: parsed.message }]);
  throw new JobSnoozedSignal(parsed.ms);
}
