import type { ChangeIntent, ContinuationOn, JobState, StateChange } from '@spool/core';
import { assertFixedWrite, continuationIntent, decideStateChange, uniqueKeyReleasedReason } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import { jsonOrNull } from './job-row.js';
import { releaseGates } from './limits-store.js';
import { settleFlow } from './flow-settle.js';
import { ACTIVE_SQL } from './state-sql.js';
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

// Writes a decided StateChange as one statement: every field comes from the record (@set* says
// whether a field is written, the value beside it what), and the guard (state, and lease when
// given) is in the WHERE clause, so a stale writer changes nothing. Only what needs the row itself
// is computed here: the expiry from the job's retention, and the attempt and rescue counts.
const TRANSITION_SQL = `UPDATE spool_jobs SET
  state = @to,
  updated_at = @now,
  attempt = CASE @attempts WHEN 1 THEN attempt + 1 WHEN 2 THEN max(attempt - 1, 0) WHEN 3 THEN 0 ELSE attempt END,
  rescues = CASE @rescues WHEN 1 THEN rescues + 1 WHEN 2 THEN 0 ELSE rescues END,
  lease_token = CASE WHEN @keepToken THEN lease_token ELSE @newToken END,
  lease_expires_at = @leaseExpiresAt,
  run_at = CASE WHEN @setRunAt THEN @runAt ELSE run_at END,
  finished_at = CASE WHEN @setFinishedAt THEN @finishedAt ELSE finished_at END,
  expires_at = CASE WHEN @expires AND retention_ms IS NOT NULL THEN @now + retention_ms ELSE NULL END,
  enqueue_seq = coalesce(@seq, enqueue_seq),
  progress = CASE WHEN @completeProgress AND progress IS NOT NULL THEN 100 ELSE progress END,
  result = CASE WHEN @setResult THEN @result ELSE result END,
  error = CASE WHEN @setError THEN @error ELSE error END,
  dead_lettered_at = CASE WHEN @setDeadLetter THEN @deadLetteredAt ELSE dead_lettered_at END,
  dead_letter_error = CASE WHEN @setDeadLetter THEN @deadLetterError ELSE dead_letter_error END,
  unique_key = CASE WHEN @releaseKey THEN NULL ELSE unique_key END,
  history_ids = history_ids || @historyRef
WHERE id = @id AND state = @from AND (@leaseToken IS NULL OR lease_token = @leaseToken)
RETURNING queue, flow, batch_id AS batchId`;

// The hottest change, a server reporting success, has its own positional statement: binding the
// generic statement's named parameters and evaluating its CASEs costs more than the update itself.
// It writes the shape of core's FIXED_WRITES.success, checked against the decision when this module
// loads.
const SUCCEED_SQL = `UPDATE spool_jobs SET
  state = 'succeeded', updated_at = ?, lease_expires_at = NULL, finished_at = ?,
  expires_at = ? + retention_ms, progress = CASE WHEN progress IS NOT NULL THEN 100 END, result = ?,
  history_ids = history_ids || ?
WHERE id = ? AND state = 'processing' AND lease_token = ?
RETURNING flow, batch_id AS batchId`;
assertFixedWrite('SQLite SUCCEED_SQL', 'success');

/** Whether the fast success statement may write this change (lease-guarded, and of its shape). */
function fitsSucceedSql(change: StateChange, spec: TransitionSpec, fastPaths: boolean): boolean {
  // Only a success moves processing -> succeeded, and every success has the checked shape.
  return fastPaths && spec.leaseToken !== undefined && change.to === 'succeeded' && change.from === 'processing';
}

/**
 * Moves one job to a new state with everything core decides the move implies
 * ({@link decideStateChange}), in the caller's transaction: counters, a history entry, the queue
 * position, and the release or cancellation of its continuations. Returns false (writing nothing)
 * when the job is no longer in `from` or no longer holds the given lease.
 */
export function transition(ctx: WriteContext, spec: TransitionSpec, events: EventBatch): boolean {
  const change = decideStateChange({ from: spec.from, ...spec.intent, now: ctx.now, serverId: spec.serverId });
  let releaseKey = 0;
  if (change.uniqueKey === 'check-holder') {
    const holder = keyHolder(ctx, spec.id, spec.from);
    if (holder !== null) {
      // Another active job took the key while this one was finished: run again without it.
      change.history.reason = uniqueKeyReleasedReason(change.history.reason, holder.key, holder.id);
      releaseKey = 1;
    }
  }
  const historyId = ctx.nextHistoryId();
  if (fitsSucceedSql(change, spec, ctx.fastPaths)) {
    const result = change.result === 'keep' ? null : jsonOrNull(change.result.set);
    const now = change.updatedAt;
    const done = ctx.conn.stmt(SUCCEED_SQL).get(now, now, now, result, historyRef(historyId), spec.id, spec.leaseToken) as FlowFacts | undefined;
    if (done === undefined) return false;
    recordTransition(ctx, spec.id, change, historyId, '', events, done);
    return true;
  }
  const { lease, finishedAt, runAt, result, error, deadLetter } = change;
  const row = ctx.conn.stmt(TRANSITION_SQL).get({
    releaseKey,
    historyRef: historyRef(historyId),
    id: spec.id,
    from: change.from,
    to: change.to,
    now: change.updatedAt,
    leaseToken: spec.leaseToken ?? null,
    attempts: ATTEMPTS[change.attempts],
    rescues: RESCUES[change.rescues],
    keepToken: lease === 'end' ? 1 : 0,
    newToken: typeof lease === 'object' ? lease.take : null,
    leaseExpiresAt: typeof lease === 'object' ? lease.expiresAt : null,
    setRunAt: runAt === 'keep' ? 0 : 1,
    runAt: runAt === 'keep' ? null : runAt.set,
    setFinishedAt: finishedAt === 'keep' ? 0 : 1,
    finishedAt: finishedAt === 'keep' ? null : finishedAt.set,
    expires: change.expires ? 1 : 0,
    // Back of the queue; a refused change leaves a gap in the sequence, which orders just the same.
    seq: change.queuePosition === 'back' ? ctx.nextSeq() : null,
    completeProgress: change.progress === 'complete' ? 1 : 0,
    setResult: result === 'keep' ? 0 : 1,
    result: result === 'keep' ? null : jsonOrNull(result.set),
    setError: error === 'keep' ? 0 : 1,
    error: error === 'keep' ? null : jsonOrNull(error.set),
    setDeadLetter: deadLetter === 'keep' ? 0 : 1,
    deadLetteredAt: deadLetter === 'keep' || deadLetter.set === null ? null : deadLetter.set.at,
    deadLetterError: deadLetter === 'keep' || deadLetter.set === null ? null : deadLetter.set.errorName,
  }) as ({ queue: string } & FlowFacts) | undefined;
  if (row === undefined) return false;
  recordTransition(ctx, spec.id, change, historyId, row.queue, events, row);
  return true;
}

/** What a changed row says about batches and flows: 0 and null for a job of neither, which settles nothing more. */
interface FlowFacts {
  flow: number;
  batchId: string | null;
}

/** What follows a state change that happened, as its record says: counters, history, continuations and events. */
function recordTransition(ctx: WriteContext, id: string, change: StateChange, historyId: number, queue: string, events: EventBatch, facts: FlowFacts): void {
  if (change.events.enqueued) events.enqueued(queue);
  if (change.events.scheduledAt !== null) events.scheduled(change.events.scheduledAt);
  ctx.counted(change.counters, queue);
  const { history } = change;
  ctx.history(historyId, id, history.state, history.reason, history.data, history.serverId);
  if (change.limits === 'release') releaseGates(ctx, id, events, change.pause);
  if (facts.flow !== 0) settleFlow(ctx, id, change, facts.flow, facts.batchId, events, transition);
  if (change.settleContinuations && ctx.hasAwaiting()) settleContinuations(ctx, id, change.to, events);
  events.state(id, change.events.state);
}

/** The other active job holding the unique key of job `id` (in state `from`), if any. */
function keyHolder(ctx: WriteContext, id: string, from: JobState): { key: string; id: string } | null {
  const key = ctx.conn.pluck('SELECT unique_key FROM spool_jobs WHERE id = ? AND state = ?').get(id, from) as string | null | undefined;
  if (key === null || key === undefined) return null;
  const holder = ctx.conn
    .pluck(`SELECT id FROM spool_jobs WHERE unique_key = ? AND ${ACTIVE_SQL} AND id <> ? LIMIT 1`)
    .get(key, id) as string | undefined;
  return holder === undefined ? null : { key, id: holder };
}

/** How a history entry's id is appended to a job's `history_ids`. */
export function historyRef(id: number): string {
  return `,${id}`;
}

/** The ids in a job's `history_ids`, as a JSON array for `json_each`. */
export function historyIdsJson(historyIds: string): string {
  return `[${historyIds.slice(1)}]`;
}

/**
 * Releases or cancels the continuations waiting for a parent that has just moved to `parentState`,
 * as core decides (`continuationIntent`); a cancelled child settles its own continuations in turn.
 */
export function settleContinuations(ctx: WriteContext, parentId: string, parentState: JobState, events: EventBatch): void {
  const children = ctx.conn
    .stmt("SELECT id, continue_on FROM spool_jobs INDEXED BY spool_jobs_awaiting WHERE parent_id = ? AND state = 'awaiting'")
    .all(parentId) as Array<{ id: string; continue_on: ContinuationOn | null }>;
  for (const child of children) {
    const intent = continuationIntent(parentId, parentState, child.continue_on ?? 'succeeded');
    if (intent !== null) transition(ctx, { id: child.id, from: 'awaiting', intent, serverId: null }, events);
  }
}
