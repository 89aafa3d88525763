import type { ErrorRecord, JobRecord, Json } from '../job/records.js';

/** Events a server emits, by name. */
export interface ServerEvents {
  started: { serverId: string };
  /** `unrecorded`: outcomes not written before the stop's deadline (their jobs return by lease rescue). */
  stopped: { serverId: string; unrecorded: number };
  /** A background process or a storage call failed; the server keeps going and retries. */
  error: { process: string; error: unknown };
  'job:started': { job: JobRecord };
  'job:succeeded': { job: JobRecord; result: Json; durationMs: number };
  'job:retry-scheduled': { job: JobRecord; error: ErrorRecord; runAt: Date; durationMs: number };
  /** The handler deferred its job (`ctx.snooze`): it runs again at `runAt`, the attempt not counted. */
  'job:snoozed': { job: JobRecord; runAt: Date };
  /**
   * The handler threw `rateLimited(delay)`: the job runs again at `until`, the attempt not counted,
   * and the gate it ran under (its key's, else its name's, else its queue's) is paused until then.
   */
  'job:rate-limited': { job: JobRecord; until: Date };
  /** `durationMs`: from the start to the recorded outcome, as for `job:succeeded`. */
  'job:failed': { job: JobRecord; error: ErrorRecord; durationMs: number };
  'job:requeued': { job: JobRecord; reason: string };
  /** The job was deleted, requeued or rescued elsewhere while it ran here: its outcome was dropped. */
  'job:abandoned': { job: JobRecord; reason: string };
  /**
   * A job was given up (timed out, or aborted past the grace period) while its handler still runs:
   * its outcome is recorded, and the handler keeps its slot until it returns.
   */
  'job:overdue': { job: JobRecord; error: Error };
  'jobs:rescued': { requeued: string[]; failed: string[] };
}
