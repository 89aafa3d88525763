import type { Payloads } from '../files/payloads.js';
import type { JobDefinition } from '../job/definition.js';
import type { JobEnqueuer } from '../job/job-context.js';
import type { Json, RecurringRecord } from '../job/records.js';
import type { RecurringFireResult, Storage } from '../storage/contract.js';
import type { JobTelemetry } from '../telemetry/job-telemetry.js';
import type { Runtime } from '../util/runtime.js';

/**
 * What a server needs from the program it runs in, and nothing more: the storage, the job
 * definitions, time and timers, and the few client actions a server takes (enqueue from a handler,
 * set a parameter, fire a recurring occurrence). The composition root builds it (`Spool` does, for
 * `startServer` and `perform`), so the server depends on this interface and never on the client.
 */
export interface ServerHost {
  /** Where jobs are stored. */
  readonly storage: Storage;
  /** The clock, timers and randomness every part of the server uses. */
  readonly runtime: Runtime;
  /** Opens the storage (once; a failed opening is tried again by the next call). */
  init(): Promise<void>;
  /** The definition that runs jobs of this name, or null when this program has none. */
  definition(name: string): JobDefinition | null;
  /** Every job name this program can run: the names a server fetches. */
  jobNames(): string[];
  /** Enqueues a job by name: what a handler's `ctx.jobs.enqueue` does. */
  enqueue: JobEnqueuer['enqueue'];
  /** Stores a job parameter: what a handler's `ctx.setParameter` does. */
  setParameter(id: string, key: string, value: Json): Promise<void>;
  /** Fires a due recurring job's occurrence, judged by the storage's time `now`. */
  fireRecurring(record: RecurringRecord, now: Date): Promise<RecurringFireResult>;
  /** The process span around each run (docs/telemetry.md). Default: none. */
  readonly telemetry?: JobTelemetry;
  /**
   * Large arguments and results by reference in a file store (docs/file-store.md): the runner
   * resolves references before the handler runs and stores a large result by reference; the
   * server sweeps the files of jobs that no longer exist. Default: none (values stay inline).
   */
  readonly payloads?: Payloads;
}
