import { CapabilityMissingError, ConfigError, InvalidArgsError, JobNotFoundError, JobNotWaitingError } from '../errors.js';
import { looksLikePayloadReference } from '../files/payloads.js';
import { JOB_OPTION_RULES } from '../job/definition.js';
import type { Json } from '../job/records.js';
import { START_DEADLINE_PARAMETER, readStartDeadline, startDeadlineParameter } from '../job/start-deadline.js';
import type { Duration } from '../options/duration.js';
import type { OptionsSchema } from '../options/resolve.js';
import { resolveOptions } from '../options/resolve.js';
import type { JobChange } from '../states/job-change.js';
import { WAITING_CHANGES } from '../states/job-change.js';
import type { Storage } from '../storage/contract.js';

/** What to change of a job that has not started (`spool.changeJob`). Give at least one field. */
export interface ChangeJobOptions {
  /** A new due time, for a scheduled job. */
  at?: Date;
  /** A new due time this long from now (`'10m'`, or milliseconds), for a scheduled job. */
  delay?: Duration;
  /** A new priority (higher runs first within a queue). */
  priority?: number;
  /** A new queue. */
  queue?: string;
  /** New arguments: JSON within `maxArgsBytes`, checked as enqueue checks them. */
  args?: unknown;
}

const CHANGE_SCHEMA: OptionsSchema = {
  at: { kind: 'date', optional: true },
  delay: { kind: 'duration', optional: true },
  priority: JOB_OPTION_RULES.priority,
  queue: JOB_OPTION_RULES.queue,
  args: { kind: 'any', optional: true },
};

/** What the client needs to change a waiting job. */
export interface JobChangerHost {
  storage: Storage;
  now(): number;
  /** Arguments as checked JSON within the inline limit (enqueue's check). */
  jsonArgs(args: unknown): Json;
}

/**
 * Changes a job that has not started: checks the options, then asks the storage for one guarded
 * write. Throws JobNotFoundError, or JobNotWaitingError naming the state found when the job has
 * started (the storage's write refused it, so nothing was changed).
 */
export async function changeWaitingJob(host: JobChangerHost, id: string, options: ChangeJobOptions): Promise<void> {
  const where = 'changeJob options';
  const o = resolveOptions<ChangeJobOptions>(CHANGE_SCHEMA, options, where);
  if (o.at !== undefined && o.delay !== undefined) throw new ConfigError([{ path: `${where}.delay`, message: 'give either delay or at, not both' }]);
  const change: JobChange = {};
  if (o.at !== undefined) change.runAt = o.at.getTime();
  if (o.delay !== undefined) change.runAt = host.now() + (o.delay as number);
  if (o.priority !== undefined) change.priority = o.priority;
  if (o.queue !== undefined) change.queue = o.queue;
  if (o.args !== undefined) {
    // New arguments are kept inline: a job's arguments stored by reference would need their file
    // replaced in the same step as the row, which no storage can do atomically; they are refused.
    if (looksLikePayloadReference(o.args)) throw new InvalidArgsError('args', 'an object shaped like a by-reference payload cannot be given as new arguments');
    change.args = host.jsonArgs(o.args);
  }
  if (Object.keys(change).length === 0) {
    throw new ConfigError([{ path: where, message: 'expected at least one of at, delay, priority, queue, args; got none' }]);
  }
  if (!host.storage.capabilities.waitingChanges) throw new CapabilityMissingError('waitingChanges', host.storage.constructor.name, 'Changing a waiting job');
  if (change.args !== undefined) {
    const job = await host.storage.jobGet({ id });
    if (job === null) throw new JobNotFoundError(id);
    if (looksLikePayloadReference(job.args)) {
      throw new InvalidArgsError('args', `job ${id} keeps its arguments by reference in the file store; they cannot be replaced. Delete it and enqueue a new job instead`);
    }
  }
  const result = await host.storage.jobChange({ id, change });
  if (result.ok) {
    if (change.runAt !== undefined) await moveStartDeadline(host.storage, id, change.runAt);
    return;
  }
  if (result.previous === null) throw new JobNotFoundError(id);
  const fields = result.refused === 'not-allowed' ? Object.keys(change).filter((f) => !WAITING_CHANGES[result.previous!].includes(f as keyof JobChange)) : [];
  throw new JobNotWaitingError(id, result.previous, fields, WAITING_CHANGES[result.previous]);
}

/**
 * A scheduled job's start deadline follows its new due time. Written after the change: a job moved
 * later cannot be claimed before its new time, by which the deadline has moved; one moved earlier
 * keeps the later deadline for that moment.
 */
async function moveStartDeadline(storage: Storage, id: string, dueAt: number): Promise<void> {
  const job = await storage.jobGet({ id });
  const deadline = job === null ? null : readStartDeadline(job.parameters);
  if (deadline === null) return;
  await storage.jobParameterSet({ id, key: START_DEADLINE_PARAMETER, value: startDeadlineParameter({ ...deadline, dueAt }) });
}
