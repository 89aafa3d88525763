import type { ChangeIntent, ContinuationOn, JobState, StateChange } from '@spool/core';
import { continuationIntent, decideStateChange, uniqueKeyReleasedReason } from '@spool/core';
import { gateToPause } from '@spool/core/storage-kit';

import type { EventBatch } from './event-batch.js';
import type { Row } from './executor.js';
import { CLEAR_TAIL_SQL, TAIL_COLUMNS } from './history-tail.js';
import { jsonOrNull } from './job-row.js';
import { heldGates } from './limits-store.js';
import { settleFlow } from './flow-settle.js';
import { isDuplicateIn } from './translate-error.js';
import type { WriteContext } from './write-context.js';

/**
 * One state change of one job: the change core is asked to decide, the state it moves from (the
 * caller read it, or guards on it), and the lease it must still hold, if any.
 */
export interface TransitionSpec {
  id: string;
  from: JobState;
  intent: ChangeIntent;
  /** The server recorded in the history entry. */
  serverId: string | null;
  /** When set, the change happens only while the job holds this lease. */
  leaseToken?: string;
}

const ATTEMPTS: Record<StateChange['attempts'], number> = { keep: 0, count: 1, refund: 2, reset: 3 };
const RESCUES: Record<StateChange['rescues'], number> = { keep: 0, count: 1, reset: 2 };

// Writes a decided StateChange as one UPDATE of the row the guard locked: every field comes from the
// record (a flag says whether a field is written, the value beside it what); only what needs the
// row itself is computed here: the expiry from the job's retention, the attempt and rescue counts.
// MySQL assigns left to right and later assignments see earlier ones: no assignment below reads a
// column assigned before it. The generated `unique_hold` follows the new state and key. The entries
// the row held are appended to the history table first (history-tail.ts), so the change clears them.
const transitionSql = (jobs: string): string => `UPDATE ${jobs} SET
${changeSetSql('?')}
WHERE id = ?`;

/**
 * The assignments of a decided change, bound as {@link changeValues} lays them out; shared by the
 * change of one job and that of many (job-transition-many.ts). `position` is the SQL of the queue
 * position a job moved to the back takes (NULL keeps its own).
 */
export const changeSetSql = (position: string): string => `  state = ?,
  updated_at = ?,
  attempt = CASE ? WHEN 1 THEN attempt + 1 WHEN 2 THEN GREATEST(attempt - 1, 0) WHEN 3 THEN 0 ELSE attempt END,
  rescues = CASE ? WHEN 1 THEN rescues + 1 WHEN 2 THEN 0 ELSE rescues END,
  lease_token = CASE WHEN ? THEN lease_token ELSE ? END,
  lease_expires_at = ?,
  run_at = CASE WHEN ? THEN ? ELSE run_at END,
  finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
  expires_at = CASE WHEN ? AND retention_ms IS NOT NULL THEN ? + retention_ms ELSE NULL END,
  enqueue_seq = COALESCE(${position}, enqueue_seq),
  progress = CASE WHEN ? AND progress IS NOT NULL THEN 100 ELSE progress END,
  result = CASE WHEN ? THEN ? ELSE result END,
  error = CASE WHEN ? THEN ? ELSE error END,
  unique_key = CASE WHEN ? THEN NULL ELSE unique_key END,
  dead_lettered_at = CASE WHEN ? THEN ? ELSE dead_lettered_at END,
  dead_letter_error = CASE WHEN ? THEN ? ELSE dead_letter_error END,
  ${CLEAR_TAIL_SQL}`;

/**
 * Moves one job to a new state with everything core decides the move implies
 * ({@link decideStateChange}), in the caller's transaction: counters, a history entry, the queue
 * position, and the release or cancellation of its continuations. Returns false (writing nothing)
 * when the job is no longer in `from` or no longer holds the given lease.
 */
export async function transition(ctx: WriteContext, spec: TransitionSpec, events: EventBatch): Promise<boolean> {
  const change = decideStateChange({ from: spec.from, ...spec.intent, now: ctx.now, serverId: spec.serverId });
  // The guard locks the row: a stale writer finds nothing, a concurrent one waits for this commit.
  const [row] = await ctx.db.rows(
    `SELECT queue, unique_key, held_gates, flow, batch_id, ${TAIL_COLUMNS} FROM ${ctx.t.jobs} WHERE id = ? AND state = ?${spec.leaseToken === undefined ? '' : ' AND lease_token = ?'} FOR UPDATE`,
    spec.leaseToken === undefined ? [spec.id, spec.from] : [spec.id, spec.from, spec.leaseToken],
  );
  if (row === undefined) return false;
  const key = row.unique_key as string | null;
  const reason = change.history.reason;
  let releaseKey = false;
  const releaseIfHeld = async (): Promise<boolean> => {
    if (key === null) return false;
    const holder = await keyHolder(ctx, spec.id, key);
    if (holder === null) return false;
    // Another active job took the key while this one was finished: run again without it.
    change.history.reason = uniqueKeyReleasedReason(reason, key, holder);
    releaseKey = true;
    return true;
  };
  if (change.uniqueKey === 'check-holder') await releaseIfHeld();
  const seq = change.queuePosition === 'back' ? await ctx.drawPositions(1) : null;
  const update = (): Promise<unknown> => ctx.db.exec(transitionSql(ctx.t.jobs), transitionValues(spec.id, change, seq, releaseKey));
  try {
    await update();
  } catch (error) {
    // A job that took the key after the check above committed first: look again and give the key up.
    if (!(change.uniqueKey === 'check-holder' && isDuplicateIn(error, 'jobs_unique_hold') && (await releaseIfHeld()))) throw error;
    await update();
  }
  await afterChange(ctx, spec.id, row, change, events);
  return true;
}

/**
 * What follows a job's change in the same transaction, from its row as the guard read it: its
 * events, counters and history entries (the row's own first), its gates given back, its batch and
 * dependents, its continuations.
 */
export async function afterChange(ctx: WriteContext, id: string, row: Row, change: StateChange, events: EventBatch): Promise<void> {
  const queue = row.queue as string;
  if (change.events.enqueued) events.enqueued(queue);
  if (change.events.scheduledAt !== null) events.scheduled(change.events.scheduledAt);
  ctx.counted(change.counters, queue);
  const { history } = change;
  ctx.spill(id, row);
  ctx.history(id, history.state, history.reason, history.data, history.serverId);
  if (change.limits === 'release') releaseHeld(ctx, row.held_gates, queue, events, change.pause);
  const flow = Number(row.flow);
  if (flow !== 0) await settleFlow(ctx, id, change, flow, row.batch_id as string | null, events, transition);
  if (change.settleContinuations) await settleContinuations(ctx, id, change.to, events);
  events.state(id, change.events.state);
}

/**
 * Gives back the flow-control gates a job took when it started (`held`, its column, read by the
 * locking read that guarded its change out of processing), and wakes its queue's servers: the freed
 * place may let a held-back job start. A rate-limited job's change (`pause`) pauses the gate core
 * picks among them, in the same statement. Nothing when the job took no gate.
 */
export function releaseHeld(ctx: WriteContext, held: unknown, queue: string, events: EventBatch, pause: StateChange['pause']): void {
  const gates = heldGates(held);
  if (gates === null) return;
  const paused = pause === null ? null : gateToPause(pause.candidates, gates);
  ctx.releaseGates(gates, queue, paused === null ? null : { gate: paused, until: pause!.until });
  events.enqueued(queue);
}

function transitionValues(id: string, change: StateChange, seq: number | null, releaseKey: boolean): unknown[] {
  const values = changeValues(change, releaseKey);
  values.splice(CHANGE_POSITION_AT, 0, seq);
  return [...values, id];
}

/** Where {@link changeSetSql} binds the queue position when it is a placeholder. */
const CHANGE_POSITION_AT = 13;

/**
 * The values of {@link changeSetSql} for a decided change, in order, less the queue position (bound
 * at index 13 when it is a placeholder). `releaseKey` says whether the job gives up its unique key.
 */
export function changeValues(change: StateChange, releaseKey: boolean): unknown[] {
  const { lease, finishedAt, runAt, result, error, deadLetter } = change;
  const dead = deadLetter === 'keep' || deadLetter.set === null ? null : deadLetter.set;
  return [
    change.to,
    change.updatedAt,
    ATTEMPTS[change.attempts],
    RESCUES[change.rescues],
    lease === 'end',
    typeof lease === 'object' ? lease.take : null,
    typeof lease === 'object' ? lease.expiresAt : null,
    runAt !== 'keep',
    runAt === 'keep' ? null : runAt.set,
    finishedAt !== 'keep',
    finishedAt === 'keep' ? null : finishedAt.set,
    change.expires,
    change.updatedAt,
    change.progress === 'complete',
    result !== 'keep',
    result === 'keep' ? null : jsonOrNull(result.set),
    error !== 'keep',
    error === 'keep' ? null : jsonOrNull(error.set),
    releaseKey,
    deadLetter !== 'keep',
    dead?.at ?? null,
    deadLetter !== 'keep',
    dead?.errorName ?? null,
  ];
}

/** The id of another active job holding `key`, if any (through the unique index of held keys). */
async function keyHolder(ctx: WriteContext, id: string, key: string): Promise<string | null> {
  const [row] = await ctx.db.rows(`SELECT id FROM ${ctx.t.jobs} WHERE unique_hold = UNHEX(SHA2(?, 256)) AND unique_key = ? AND id <> ? LIMIT 1`, [key, key, id]);
  return row === undefined ? null : (row.id as string);
}

/**
 * Releases or cancels the continuations waiting for a parent that has just moved to `parentState`,
 * as core decides (`continuationIntent`); a cancelled child settles its own continuations in turn.
 * The children are locked first, so a concurrent operator action on them waits for this commit. A
 * continuation being created waits for the parent's lock (jobs-create.ts), so this read, after the
 * parent's update, sees every child there will be.
 */
export async function settleContinuations(ctx: WriteContext, parentId: string, parentState: JobState, events: EventBatch): Promise<void> {
  const children = await ctx.db.rows(`SELECT id, continue_on FROM ${ctx.t.jobs} WHERE parent_id = ? AND state = 'awaiting' ORDER BY id FOR UPDATE`, [parentId]);
  for (const child of children) {
    const on = (child.continue_on as ContinuationOn | null) ?? 'succeeded';
    const intent = continuationIntent(parentId, parentState, on);
    if (intent !== null) await transition(ctx, { id: child.id as string, from: 'awaiting', intent, serverId: null }, events);
  }
}
