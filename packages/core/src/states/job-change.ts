import type { Json } from '../job/records.js';
import type { JobState } from './states.js';

/** What can be changed of a job that has not started. Every field is optional; at least one is given. */
export interface JobChange {
  /** A new due time (ms since epoch), for a scheduled job. */
  runAt?: number;
  /** A new priority (higher runs first within a queue). */
  priority?: number;
  /** A new queue. */
  queue?: string;
  /** New arguments, already checked as enqueue checks them. */
  args?: Json;
}

/** A field of {@link JobChange}. */
export type JobChangeField = keyof JobChange;

/**
 * Which change each state allows. Only jobs that have not started can be changed: a due time only
 * means something to a scheduled job (an enqueued job is already due; an awaiting job's time is its
 * parent's), while priority, queue and arguments are read when the job is claimed, so any waiting
 * job can take new ones. A job that is running or finished allows nothing.
 */
export const WAITING_CHANGES: Readonly<Record<JobState, readonly JobChangeField[]>> = Object.freeze({
  scheduled: Object.freeze(['runAt', 'priority', 'queue', 'args'] as const),
  enqueued: Object.freeze(['priority', 'queue', 'args'] as const),
  awaiting: Object.freeze(['priority', 'queue', 'args'] as const),
  processing: Object.freeze([] as const),
  succeeded: Object.freeze([] as const),
  failed: Object.freeze([] as const),
  deleted: Object.freeze([] as const),
});

/** The stored facts of a job a change depends on. */
export interface JobChangeFacts {
  state: JobState;
  runAt: number | null;
  priority: number;
  queue: string;
}

/** What a change of a waiting job writes, decided once in core; a storage writes it in one guarded step. */
export interface JobChangeWrite {
  /** The state the job must still be in when the write happens (the guard). */
  state: JobState;
  updatedAt: number;
  runAt: { set: number } | 'keep';
  priority: { set: number } | 'keep';
  /** A new queue; the waiting counts of both queues move when the job is enqueued. */
  queue: { set: string; from: string } | 'keep';
  args: { set: Json } | 'keep';
  /**
   * `back`: an enqueued job that changes queue or priority goes behind the jobs already waiting
   * there, as any job entering a queue does.
   */
  queuePosition: 'back' | 'keep';
  /** The waiting counts to move: an enqueued job that changes queue leaves one count for the other. */
  queueCounts: { down: string; up: string } | null;
  /** The history entry: the state stays, the text says what changed (arguments named, never shown). */
  history: { state: JobState; reason: string; data: Json; at: number; serverId: null };
}

/** The answer of {@link decideJobChange}: the write, or why the change is refused. */
export type JobChangeDecision =
  | { ok: true; write: JobChangeWrite }
  /** `not-waiting`: the job has started or finished; `not-allowed`: its state does not allow these fields. */
  | { ok: false; refused: 'not-waiting' | 'not-allowed'; state: JobState; fields: JobChangeField[] };

/** The text of the history entry of a change. */
export const JOB_CHANGE_TEXTS = {
  changed: (parts: readonly string[]) => `Changed by request: ${parts.join(', ')}`,
  replaced: (parts: readonly string[]) => `Replaced by a duplicate enqueue (onDuplicate: 'replace'): ${parts.join(', ')}`,
} as const;

/** Why a waiting job changes: an operator's or application's request, or a duplicate enqueue that replaces it (debounce). */
export type JobChangeCause = 'request' | 'duplicate';

/**
 * Decides what changing a waiting job writes. Pure: a storage reads the job's facts and writes the
 * answer in the same atomic step, guarded on the state it read, so a change either lands before a
 * claim or is refused; it is never applied to a job that has started.
 */
export function decideJobChange(request: { job: JobChangeFacts; change: JobChange; now: number; cause?: JobChangeCause }): JobChangeDecision {
  const { job, change, now } = request;
  const text = request.cause === 'duplicate' ? JOB_CHANGE_TEXTS.replaced : JOB_CHANGE_TEXTS.changed;
  const fields = (Object.keys(change) as JobChangeField[]).filter((f) => change[f] !== undefined);
  const allowed = WAITING_CHANGES[job.state];
  if (allowed.length === 0) return { ok: false, refused: 'not-waiting', state: job.state, fields };
  const refused = fields.filter((f) => !allowed.includes(f));
  if (refused.length > 0) return { ok: false, refused: 'not-allowed', state: job.state, fields: refused };
  const parts: string[] = [];
  const changed: Record<string, Json> = {};
  if (change.runAt !== undefined) {
    const from = job.runAt === null ? null : new Date(job.runAt).toISOString();
    const to = new Date(change.runAt).toISOString();
    parts.push(`run at ${from ?? 'none'} → ${to}`);
    changed.runAt = { from, to };
  }
  if (change.priority !== undefined) {
    parts.push(`priority ${job.priority} → ${change.priority}`);
    changed.priority = { from: job.priority, to: change.priority };
  }
  if (change.queue !== undefined) {
    parts.push(`queue ${job.queue} → ${change.queue}`);
    changed.queue = { from: job.queue, to: change.queue };
  }
  if (change.args !== undefined) {
    // Arguments may hold personal data: the history says they changed, not what they are.
    parts.push('arguments changed');
    changed.args = true;
  }
  const moves = change.queue !== undefined || change.priority !== undefined;
  return {
    ok: true,
    write: {
      state: job.state,
      updatedAt: now,
      runAt: change.runAt !== undefined ? { set: change.runAt } : 'keep',
      priority: change.priority !== undefined ? { set: change.priority } : 'keep',
      queue: change.queue !== undefined ? { set: change.queue, from: job.queue } : 'keep',
      args: change.args !== undefined ? { set: change.args } : 'keep',
      queuePosition: job.state === 'enqueued' && moves ? 'back' : 'keep',
      queueCounts: job.state === 'enqueued' && change.queue !== undefined && change.queue !== job.queue ? { down: job.queue, up: change.queue } : null,
      history: { state: job.state, reason: text(parts), data: { changed }, at: now, serverId: null },
    },
  };
}

/**
 * What a create does with a job whose unique key an active job (the holder) holds, decided once in
 * core: `keep` answers with the holder (the default, `onDuplicate: 'keep'`); `replace` changes the
 * waiting holder (its arguments, and its due time when both it is scheduled and the new job has
 * one: a debounce) and answers with it; `take-over`: the holder has started, so it gives its key up
 * and the new job is created holding it (a replace is never lost, and never leaves two jobs waiting).
 */
export type DuplicateDecision = { action: 'keep' } | { action: 'replace'; change: JobChange } | { action: 'take-over' };

/** Decides what a create does with a duplicate of an active holder's unique key (see {@link DuplicateDecision}). */
export function decideDuplicate(holder: { state: JobState }, incoming: { onDuplicate?: 'keep' | 'replace' | undefined; args: Json; runAt: Date | null }): DuplicateDecision {
  if (incoming.onDuplicate !== 'replace') return { action: 'keep' };
  const allowed = WAITING_CHANGES[holder.state];
  if (allowed.length === 0) return holder.state === 'processing' ? { action: 'take-over' } : { action: 'keep' };
  const change: JobChange = { args: incoming.args };
  if (incoming.runAt !== null && allowed.includes('runAt')) change.runAt = incoming.runAt.getTime();
  return { action: 'replace', change };
}
