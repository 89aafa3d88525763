import type { ChangeIntent, ContinuationOn, JobState, StateChange } from '@spool/core';
import { continuationIntent, decideStateChange, uniqueKeyReleasedReason } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import type { Row } from './executor.js';
import { spillSql } from './history-tail.js';
import { jsonOrNull } from './job-row.js';
import { releaseGates } from './limits-store.js';
import { settleFlow } from './flow-settle.js';
import { ACTIVE_STATES_SQL, inState } from './state-guard.js';
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
  /** Whether other processes hear of this change (operator actions and rescues; not a server's own completions). */
  share?: boolean;
  /**
   * The job's unique key as the caller read it with the row locked; null: it has none, so no other
   * holder is looked for. Absent: the change looks it up when core asks for the check.
   */
  uniqueKey?: string | null;
}

const ATTEMPTS: Record<StateChange['attempts'], number> = { keep: 0, count: 1, refund: 2, reset: 3 };
const RESCUES: Record<StateChange['rescues'], number> = { keep: 0, count: 1, reset: 2 };

// Writes a decided StateChange as one statement: every field comes from the record (a flag says
// whether a field is written, the value beside it what); only what needs the row itself is computed
// here: the expiry from the job's retention, the attempt and rescue counts, the queue position.
// The guard (state, and lease when given) selects and locks the row, so a stale writer changes
// nothing. The history entries the row holds (history-tail.ts) are spilled into the history table
// first, so the entry of this change comes after them.
// The job is found by primary key whatever the statistics say: its state is compared through
// inState, which no partial index matches (state-guard.ts), and so are the continuations waiting
// for it, found by their parent through jobs_parent.
const transitionSql = (s: string): string => `WITH o AS (
  SELECT id AS job_id, tail AS held FROM ${s}.jobs
  WHERE id = $1 AND ${inState('state', '$4')} AND ($5::text IS NULL OR lease_token = $5::text) FOR UPDATE
), spilled AS (
  ${spillSql(s, 'ANY(ARRAY(SELECT job_id FROM o WHERE held <> 0))')}
)
UPDATE ${s}.jobs SET
  ${changeSetSql(`nextval('${s}.enqueue_seq')`)}
FROM o WHERE id = o.job_id
RETURNING ${transitionReturningSql(s)}`;

/**
 * The assignments of a decided change, bound as {@link changeValues} lays them out from $2 on ($1
 * and $5 are the caller's: the job and the lease): shared by the change of one job and that of many
 * ({@link transitionMany}). `position` is the SQL of the queue position a job moved to the back takes.
 */
export const changeSetSql = (position: string): string => `state = $2,
  updated_at = $3,
  attempt = CASE $6::int WHEN 1 THEN attempt + 1 WHEN 2 THEN greatest(attempt - 1, 0) WHEN 3 THEN 0 ELSE attempt END,
  rescues = CASE $7::int WHEN 1 THEN rescues + 1 WHEN 2 THEN 0 ELSE rescues END,
  lease_token = CASE WHEN $8::boolean THEN lease_token ELSE $9::text END,
  lease_expires_at = $10::bigint,
  run_at = CASE WHEN $11::boolean THEN $12::bigint ELSE run_at END,
  finished_at = CASE WHEN $13::boolean THEN $14::bigint ELSE finished_at END,
  expires_at = CASE WHEN $15::boolean AND retention_ms IS NOT NULL THEN $3::bigint + retention_ms ELSE NULL END,
  enqueue_seq = CASE WHEN $16::boolean THEN ${position} ELSE enqueue_seq END,
  progress = CASE WHEN $17::boolean AND progress IS NOT NULL THEN 100 ELSE progress END,
  result = CASE WHEN $18::boolean THEN $19::text ELSE result END,
  error = CASE WHEN $20::boolean THEN $21::text ELSE error END,
  unique_key = CASE WHEN $22::boolean THEN NULL ELSE unique_key END,
  dead_lettered_at = CASE WHEN $23::boolean THEN $24::bigint ELSE dead_lettered_at END,
  dead_letter_error = CASE WHEN $23::boolean THEN $25::text ELSE dead_letter_error END,
  tail = 0,
  tail_reason = NULL,
  tail_server = NULL`;

/** What a change returns of each job it moved (the job locked as `o`): what its follow-ups need. */
export const transitionReturningSql = (s: string): string =>
  `o.job_id AS id, queue, held_gates, flow, batch_id, awaited OR EXISTS (SELECT 1 FROM ${s}.jobs w WHERE w.parent_id = o.job_id AND ${inState('w.state', 'awaiting')}) AS awaited`;

/**
 * The values of {@link changeSetSql} for a decided change, $1 to $25: `target` and `leaseToken` fill
 * $1 and $5 (the job or jobs, the lease to hold), `releaseKey` says whether the job gives up its key.
 */
export function changeValues(target: string | readonly string[], change: StateChange, leaseToken: string | null, releaseKey: boolean): unknown[] {
  const { lease, finishedAt, runAt, result, error, deadLetter } = change;
  return [
    target,
    change.to,
    change.updatedAt,
    change.from,
    leaseToken,
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
    change.queuePosition === 'back',
    change.progress === 'complete',
    result !== 'keep',
    result === 'keep' ? null : jsonOrNull(result.set),
    error !== 'keep',
    error === 'keep' ? null : jsonOrNull(error.set),
    releaseKey,
    deadLetter !== 'keep',
    deadLetter === 'keep' || deadLetter.set === null ? null : deadLetter.set.at,
    deadLetter === 'keep' || deadLetter.set === null ? null : deadLetter.set.errorName,
  ];
}

/**
 * Moves one job to a new state with everything core decides the move implies
 * ({@link decideStateChange}), in the caller's transaction: counters, a history entry, the queue
 * position, and the release or cancellation of its continuations. Returns false (writing nothing)
 * when the job is no longer in `from` or no longer holds the given lease.
 */
export async function transition(ctx: WriteContext, spec: TransitionSpec, events: EventBatch): Promise<boolean> {
  const change = decideStateChange({ from: spec.from, ...spec.intent, now: ctx.now, serverId: spec.serverId });
  let releaseKey = false;
  if (change.uniqueKey === 'check-holder' && spec.uniqueKey !== null) {
    const holder = await keyHolder(ctx, spec.id, spec.from);
    if (holder !== null) {
      // Another active job took the key while this one was finished: run again without it.
      change.history.reason = uniqueKeyReleasedReason(change.history.reason, holder.key, holder.id);
      releaseKey = true;
    }
  }
  const rows = await ctx.db.run(transitionSql(ctx.s), changeValues(spec.id, change, spec.leaseToken ?? null, releaseKey));
  if (rows.length === 0) return false;
  await afterChange(ctx, rows[0]!, change, events, spec.share ?? true);
  return true;
}

/**
 * What follows a job's change in the same transaction, from the row the change returned: its gates
 * given back, its events, counters and history entry, its batch and dependents, its continuations.
 */
export async function afterChange(ctx: WriteContext, row: Row, change: StateChange, events: EventBatch, share: boolean): Promise<void> {
  const id = row.id as string;
  const queue = row.queue as string;
  // held_gates is not written by the change: the row's value is the gates the job took when it started.
  const held = row.held_gates as string[] | null;
  if (change.limits === 'release' && held !== null && held.length > 0) await releaseGates(ctx, held, queue, events, change.pause);
  if (change.events.enqueued) events.enqueued(queue);
  if (change.events.scheduledAt !== null) events.scheduled(change.events.scheduledAt);
  ctx.counted(change.counters, queue);
  const { history } = change;
  ctx.history(id, history.state, history.reason, history.data, history.serverId);
  // Continuations may wait: committed before this statement (it saw them), or created while it
  // waited for the creator's lock (the creator marked the row, read as updated). The lookup below,
  // a later statement, sees both.
  const flow = row.flow as number;
  if (flow !== 0) await settleFlow(ctx, id, change, flow, row.batch_id as string | null, events, transition);
  if (change.settleContinuations && row.awaited === true) await settleContinuations(ctx, [id], events);
  events.state(id, change.events.state, share);
}

/** The other active job holding the unique key of job `id` (in state `from`), if any. */
async function keyHolder(ctx: WriteContext, id: string, from: JobState): Promise<{ key: string; id: string } | null> {
  const rows = await ctx.db.run(
    `SELECT j.unique_key AS key, o.id FROM ${ctx.s}.jobs j JOIN ${ctx.s}.jobs o ON o.unique_key = j.unique_key
     WHERE j.id = $1 AND ${inState('j.state', '$2')} AND o.id <> j.id AND o.state IN ${ACTIVE_STATES_SQL} LIMIT 1`,
    [id, from],
  );
  return rows.length === 0 ? null : { key: rows[0]!.key as string, id: rows[0]!.id as string };
}

/**
 * Releases or cancels the continuations waiting for parents that have just finished, as
 * core decides (`continuationIntent`); a cancelled child settles its own continuations in turn. The
 * children are locked first, so a concurrent operator action on them waits for this commit.
 */
export async function settleContinuations(ctx: WriteContext, parentIds: readonly string[], events: EventBatch): Promise<void> {
  const children = await ctx.db.run(
    `SELECT c.id, c.continue_on, c.parent_id, p.state AS parent_state FROM ${ctx.s}.jobs c JOIN ${ctx.s}.jobs p ON p.id = c.parent_id
     WHERE c.parent_id = ANY($1::text[]) AND ${inState('c.state', 'awaiting')} ORDER BY c.id FOR UPDATE OF c`,
    [parentIds],
  );
  for (const child of children) {
    const on = (child.continue_on as ContinuationOn | null) ?? 'succeeded';
    const intent = continuationIntent(child.parent_id as string, child.parent_state as JobState, on);
    if (intent !== null) await transition(ctx, { id: child.id as string, from: 'awaiting', intent, serverId: null }, events);
  }
}
