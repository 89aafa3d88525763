import type { ContinuationOn, ErrorRecord, JobState, Json } from '@spool/core';
import { JOB_STATES, STATE_FACTS, continuationOutcome } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import { jsonOrNull } from './job-row.js';
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

/** The states whose jobs expire, as an SQL list: `'succeeded', 'deleted'`. */
export const EXPIRING_STATES = JOB_STATES.filter((s) => STATE_FACTS[s].expires)
  .map((s) => `'${s}'`)
  .join(', ');

/** The states whose jobs hold their unique key, as an SQL list. */
export const ACTIVE_STATES = JOB_STATES.filter((s) => STATE_FACTS[s].active)
  .map((s) => `'${s}'`)
  .join(', ');

/** The states listed through the partial index `spool_jobs_state` (the rare ones). */
export const STATE_INDEXED: readonly JobState[] = ['scheduled', 'awaiting', 'failed', 'deleted'];

/**
 * The condition of the partial index `spool_jobs_state`. SQLite uses a partial index only when the
 * query's WHERE clause repeats its condition word for word, so queries through it add this term.
 */
export const STATE_INDEX_TERM = `state IN (${STATE_INDEXED.map((s) => `'${s}'`).join(', ')})`;

const ATTEMPTS = { keep: 0, reset: 1, refund: 2 } as const;

// A transition as one statement: the guard (state, and lease when given) is in the WHERE clause, so a
// stale writer changes nothing. Leases are cleared unconditionally: only processing jobs hold one.
const TRANSITION_SQL = `UPDATE spool_jobs SET
  state = @to,
  updated_at = @now,
  attempt = CASE @attempts WHEN 1 THEN 0 WHEN 2 THEN max(attempt - 1, 0) ELSE attempt END,
  rescues = CASE WHEN @attempts = 1 THEN 0 ELSE rescues + @rescued END,
  lease_token = NULL,
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
  if (enqueued) {
    events.enqueued(row.queue);
  } else if (to === 'scheduled') {
    events.scheduled(spec.runAt ?? ctx.now);
  }
  ctx.moved(from, to, row.queue);
  ctx.history(historyId, spec.id, to, reason, spec.data, spec.serverId);
  if (finishes && ctx.hasAwaiting()) settleContinuations(ctx, spec.id, to, events);
  events.state(spec.id, to);
  return true;
}

/** The other active job holding the unique key of job `id` (in state `from`), if any. */
function keyHolder(ctx: WriteContext, id: string, from: JobState): { key: string; id: string } | null {
  const key = ctx.conn.pluck('SELECT unique_key FROM spool_jobs WHERE id = ? AND state = ?').get(id, from) as string | null | undefined;
  if (key === null || key === undefined) return null;
  const holder = ctx.conn
    .pluck(`SELECT id FROM spool_jobs WHERE unique_key = ? AND state IN (${ACTIVE_STATES}) AND id <> ? LIMIT 1`)
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
    .stmt("SELECT id, continue_on FROM spool_jobs WHERE parent_id = ? AND state = 'awaiting'")
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
