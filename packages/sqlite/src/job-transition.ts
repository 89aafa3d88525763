import type { ContinuationOn, ErrorRecord, JobState, Json } from '@spool/core';
import { STATE_FACTS, continuationOutcome } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import { jsonOrNull } from './job-row.js';
import { ACTIVE_SQL } from './state-sql.js';
import type { WriteContext } from './write-context.js';

/** One state change of one job. The caller knows the state it moves from (it read it, or guards on it). */
export interface TransitionSpec {
  id: string;
  from: JobState;
  to: Exclude<JobState, 'processing' | 'awaiting'>;
  reason: string;
  /** Extra history data. */
  data: Json;
  /** The server recorded in the history entry. */
  serverId: string | null;
  /** When set, the change happens only while the job holds this lease. */
  leaseToken?: string;
  /** `reset`: attempts and rescues back to 0; `refund`: the attempt that was interrupted does not count. */
  attempts?: 'keep' | 'reset' | 'refund';
  /** Counts one more lease rescue. */
  rescued?: boolean;
  /** Due time when moving to `scheduled`. */
  runAt?: number;
  /** Sets the result (with `succeeded`). */
  result?: Json;
  /** Sets the stored error (`null` clears it). */
  error?: ErrorRecord | null;
}

const ATTEMPTS = { keep: 0, reset: 1, refund: 2 } as const;

// A transition as one statement: the guard (state, and lease when given) is in the WHERE clause, so a
// stale writer changes nothing. The lease ends; its token stays when its holder made the change, so
// that a repeat of the same completion is recognised (jobs-complete.ts), and is cleared otherwise.
const TRANSITION_SQL = `UPDATE spool_jobs SET
  state = @to,
  updated_at = @now,
  attempt = CASE @attempts WHEN 1 THEN 0 WHEN 2 THEN max(attempt - 1, 0) ELSE attempt END,
  rescues = CASE WHEN @attempts = 1 THEN 0 ELSE rescues + @rescued END,
  lease_token = @leaseToken,
  lease_expires_at = NULL,
  run_at = CASE WHEN @keepRunAt THEN run_at ELSE @runAt END,
  finished_at = @finishedAt,
  expires_at = CASE WHEN @expires AND retention_ms IS NOT NULL THEN @now + retention_ms ELSE NULL END,
  enqueue_seq = coalesce(@seq, enqueue_seq),
  progress = CASE WHEN @succeeded AND progress IS NOT NULL THEN 100 ELSE progress END,
  result = CASE WHEN @setResult THEN @result ELSE result END,
  error = CASE WHEN @setError THEN @error ELSE error END,
  unique_key = CASE WHEN @releaseKey THEN NULL ELSE unique_key END,
  history_ids = history_ids || @historyRef
WHERE id = @id AND state = @from AND (@leaseToken IS NULL OR lease_token = @leaseToken)
RETURNING queue`;

// The hottest transition, a server reporting success, has its own positional statement: binding the
// generic statement's named parameters and evaluating its CASEs costs more than the update itself.
// It must write what TRANSITION_SQL writes for processing -> succeeded.
const SUCCEED_SQL = `UPDATE spool_jobs SET
  state = 'succeeded', updated_at = ?, lease_expires_at = NULL, finished_at = ?,
  expires_at = ? + retention_ms, progress = CASE WHEN progress IS NOT NULL THEN 100 END, result = ?,
  history_ids = history_ids || ?
WHERE id = ? AND state = 'processing' AND lease_token = ?`;
const SUCCEEDED_EXPIRES = STATE_FACTS.succeeded.expires;

/**
 * Moves one job to a new state with everything the move implies, in the caller's transaction:
 * counters, a history entry, the queue position, and the release or cancellation of its
 * continuations. Returns false (writing nothing) when the job is no longer in `from` or no longer
 * holds the given lease.
 */
export function transition(ctx: WriteContext, spec: TransitionSpec, events: EventBatch): boolean {
  const { to, from } = spec;
  const enqueued = to === 'enqueued';
  const finishes = to === 'succeeded' || to === 'failed' || to === 'deleted';
  let reason = spec.reason;
  let releaseKey = 0;
  if (STATE_FACTS[to].active && !STATE_FACTS[from].active) {
    const holder = keyHolder(ctx, spec.id, from);
    if (holder !== null) {
      // Another active job took the key while this one was finished: run again without it.
      reason = `${reason} (unique key "${holder.key}" is held by job ${holder.id}; released from this job)`;
      releaseKey = 1;
    }
  }
  const historyId = ctx.nextHistoryId();
  if (to === 'succeeded' && from === 'processing' && spec.leaseToken !== undefined && SUCCEEDED_EXPIRES && spec.error === undefined) {
    const result = spec.result === undefined ? null : jsonOrNull(spec.result);
    const { changes } = ctx.conn.stmt(SUCCEED_SQL).run(ctx.now, ctx.now, ctx.now, result, historyRef(historyId), spec.id, spec.leaseToken);
    if (changes === 0) return false;
    recordTransition(ctx, spec, reason, historyId, '', events);
    return true;
  }
  const row = ctx.conn.stmt(TRANSITION_SQL).get({
    releaseKey,
    historyRef: historyRef(historyId),
    id: spec.id,
    from,
    to,
    now: ctx.now,
    leaseToken: spec.leaseToken ?? null,
    attempts: ATTEMPTS[spec.attempts ?? 'keep'],
    rescued: spec.rescued ? 1 : 0,
    keepRunAt: to === 'scheduled' || enqueued ? 0 : 1,
    runAt: to === 'scheduled' ? (spec.runAt ?? ctx.now) : null,
    finishedAt: finishes ? ctx.now : null,
    expires: STATE_FACTS[to].expires ? 1 : 0,
    // Back of the queue; a refused change leaves a gap in the sequence, which orders just the same.
    seq: enqueued ? ctx.nextSeq() : null,
    succeeded: to === 'succeeded' ? 1 : 0,
    setResult: spec.result !== undefined ? 1 : 0,
    result: spec.result !== undefined ? jsonOrNull(spec.result) : null,
    setError: spec.error !== undefined ? 1 : 0,
    error: spec.error !== undefined ? jsonOrNull(spec.error) : null,
  }) as { queue: string } | undefined;
  if (row === undefined) return false;
  recordTransition(ctx, spec, reason, historyId, row.queue, events);
  return true;
}

/** What follows a state change that happened: counters, history, continuations and events. */
function recordTransition(ctx: WriteContext, spec: TransitionSpec, reason: string, historyId: number, queue: string, events: EventBatch): void {
  const { from, to } = spec;
  if (to === 'enqueued') events.enqueued(queue);
  else if (to === 'scheduled') events.scheduled(spec.runAt ?? ctx.now);
  ctx.moved(from, to, queue);
  ctx.history(historyId, spec.id, to, reason, spec.data, spec.serverId);
  if ((to === 'succeeded' || to === 'failed' || to === 'deleted') && ctx.hasAwaiting()) settleContinuations(ctx, spec.id, to, events);
  events.state(spec.id, to);
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
 * as `continuationOutcome` decides; a cancelled child settles its own continuations in turn.
 */
export function settleContinuations(ctx: WriteContext, parentId: string, parentState: JobState, events: EventBatch): void {
  const children = ctx.conn
    .stmt("SELECT id, continue_on FROM spool_jobs INDEXED BY spool_jobs_awaiting WHERE parent_id = ? AND state = 'awaiting'")
    .all(parentId) as Array<{ id: string; continue_on: ContinuationOn | null }>;
  for (const child of children) {
    const outcome = continuationOutcome(parentState, child.continue_on ?? 'succeeded');
    if (outcome === 'wait') continue;
    const data = { parentId };
    if (outcome === 'release') {
      transition(ctx, { id: child.id, from: 'awaiting', to: 'enqueued', reason: `Parent ${parentId} ${parentState}`, data, serverId: null }, events);
    } else {
      const reason = `Parent ${parentId} ${parentState}; this continuation runs only on ${child.continue_on}`;
      transition(ctx, { id: child.id, from: 'awaiting', to: 'deleted', reason, data, serverId: null }, events);
    }
  }
}
