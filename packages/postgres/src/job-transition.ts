import type { ContinuationOn, ErrorRecord, JobState, Json } from '@spool/core';
import { STATE_FACTS, continuationOutcome } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import { spillSql } from './history-tail.js';
import { jsonOrNull } from './job-row.js';
import { inState } from './state-guard.js';
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
  /** Whether other processes hear of this change (operator actions and rescues; not a server's own completions). */
  share?: boolean;
}

const ATTEMPTS = { keep: 0, reset: 1, refund: 2 } as const;

// A transition as one statement: the guard (state, and lease when given) selects and locks the row,
// so a stale writer changes nothing. The history entries the row holds (history-tail.ts) are spilled
// into the history table first, so the entry of this change comes after them. The lease ends; its
// token stays when its holder made the change, so that a repeat of the same completion is recognised
// (jobs-complete.ts), and is cleared otherwise.
// The job is found by primary key whatever the statistics say: its state is compared through
// inState, which no partial index matches (state-guard.ts), and so are the continuations waiting
// for it, found by their parent through jobs_parent.
const transitionSql = (s: string): string => `WITH o AS (
  SELECT id AS job_id, tail AS held FROM ${s}.jobs
  WHERE id = $1 AND ${inState('state', '$4')} AND ($16::text IS NULL OR lease_token = $16::text) FOR UPDATE
), spilled AS (
  ${spillSql(s, 'ANY(ARRAY(SELECT job_id FROM o WHERE held <> 0))')}
)
UPDATE ${s}.jobs SET
  state = $2,
  updated_at = $3,
  attempt = CASE $5::int WHEN 1 THEN 0 WHEN 2 THEN greatest(attempt - 1, 0) ELSE attempt END,
  rescues = CASE WHEN $5::int = 1 THEN 0 ELSE rescues + $6::int END,
  lease_token = $16::text,
  lease_expires_at = NULL,
  run_at = CASE WHEN $7::boolean THEN run_at ELSE $8::bigint END,
  finished_at = $9::bigint,
  expires_at = CASE WHEN $10::boolean AND retention_ms IS NOT NULL THEN $3::bigint + retention_ms ELSE NULL END,
  enqueue_seq = CASE WHEN $2 = 'enqueued' THEN nextval('${s}.enqueue_seq') ELSE enqueue_seq END,
  progress = CASE WHEN $2 = 'succeeded' AND progress IS NOT NULL THEN 100 ELSE progress END,
  result = CASE WHEN $11::boolean THEN $12::text ELSE result END,
  error = CASE WHEN $13::boolean THEN $14::text ELSE error END,
  unique_key = CASE WHEN $15::boolean THEN NULL ELSE unique_key END,
  tail = 0,
  tail_reason = NULL,
  tail_server = NULL
FROM o WHERE id = o.job_id
RETURNING queue, awaited OR EXISTS (SELECT 1 FROM ${s}.jobs w WHERE w.parent_id = o.job_id AND ${inState('w.state', 'awaiting')}) AS awaited`;

/**
 * Moves one job to a new state with everything the move implies, in the caller's transaction:
 * counters, a history entry, the queue position, and the release or cancellation of its
 * continuations. Returns false (writing nothing) when the job is no longer in `from` or no longer
 * holds the given lease.
 */
export async function transition(ctx: WriteContext, spec: TransitionSpec, events: EventBatch): Promise<boolean> {
  const { to, from } = spec;
  const finishes = to === 'succeeded' || to === 'failed' || to === 'deleted';
  let reason = spec.reason;
  let releaseKey = false;
  if (STATE_FACTS[to].active && !STATE_FACTS[from].active) {
    const holder = await keyHolder(ctx, spec.id, from);
    if (holder !== null) {
      // Another active job took the key while this one was finished: run again without it.
      reason = `${reason} (unique key "${holder.key}" is held by job ${holder.id}; released from this job)`;
      releaseKey = true;
    }
  }
  const rows = await ctx.db.run(transitionSql(ctx.s), [
    spec.id,
    to,
    ctx.now,
    from,
    ATTEMPTS[spec.attempts ?? 'keep'],
    spec.rescued ? 1 : 0,
    !(to === 'scheduled' || to === 'enqueued'),
    to === 'scheduled' ? (spec.runAt ?? ctx.now) : null,
    finishes ? ctx.now : null,
    STATE_FACTS[to].expires,
    spec.result !== undefined,
    spec.result !== undefined ? jsonOrNull(spec.result) : null,
    spec.error !== undefined,
    spec.error !== undefined ? jsonOrNull(spec.error) : null,
    releaseKey,
    spec.leaseToken ?? null,
  ]);
  if (rows.length === 0) return false;
  const queue = rows[0]!.queue as string;
  if (to === 'enqueued') events.enqueued(queue);
  else if (to === 'scheduled') events.scheduled(spec.runAt ?? ctx.now);
  ctx.moved(from, to, queue);
  ctx.history(spec.id, to, reason, spec.data, spec.serverId);
  // Continuations may wait: committed before this statement (it saw them), or created while it
  // waited for the creator's lock (the creator marked the row, read as updated). The lookup below,
  // a later statement, sees both.
  if (finishes && rows[0]!.awaited === true) await settleContinuations(ctx, [spec.id], events);
  events.state(spec.id, to, spec.share ?? true);
  return true;
}

/** The other active job holding the unique key of job `id` (in state `from`), if any. */
async function keyHolder(ctx: WriteContext, id: string, from: JobState): Promise<{ key: string; id: string } | null> {
  const rows = await ctx.db.run(
    `SELECT j.unique_key AS key, o.id FROM ${ctx.s}.jobs j JOIN ${ctx.s}.jobs o ON o.unique_key = j.unique_key
     WHERE j.id = $1 AND ${inState('j.state', '$2')} AND o.id <> j.id AND o.state IN ('scheduled', 'enqueued', 'awaiting', 'processing') LIMIT 1`,
    [id, from],
  );
  return rows.length === 0 ? null : { key: rows[0]!.key as string, id: rows[0]!.id as string };
}

/**
 * Releases or cancels the continuations waiting for parents that have just finished, as
 * `continuationOutcome` decides; a cancelled child settles its own continuations in turn. The
 * children are locked first, so a concurrent operator action on them waits for this commit.
 */
export async function settleContinuations(ctx: WriteContext, parentIds: readonly string[], events: EventBatch): Promise<void> {
  const children = await ctx.db.run(
    `SELECT c.id, c.continue_on, c.parent_id, p.state AS parent_state FROM ${ctx.s}.jobs c JOIN ${ctx.s}.jobs p ON p.id = c.parent_id
     WHERE c.parent_id = ANY($1::text[]) AND ${inState('c.state', 'awaiting')} ORDER BY c.id FOR UPDATE OF c`,
    [parentIds],
  );
  for (const child of children) {
    const parentId = child.parent_id as string;
    const parentState = child.parent_state as JobState;
    const on = (child.continue_on as ContinuationOn | null) ?? 'succeeded';
    const outcome = continuationOutcome(parentState, on);
    if (outcome === 'wait') continue;
    const data = { parentId };
    const id = child.id as string;
    if (outcome === 'release') {
      await transition(ctx, { id, from: 'awaiting', to: 'enqueued', reason: `Parent ${parentId} ${parentState}`, data, serverId: null }, events);
    } else {
      const reason = `Parent ${parentId} ${parentState}; this continuation runs only on ${on}`;
      await transition(ctx, { id, from: 'awaiting', to: 'deleted', reason, data, serverId: null }, events);
    }
  }
}
