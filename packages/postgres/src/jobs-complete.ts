import { randomUUID } from 'node:crypto';

import type { Completion, FetchedJob, JobLeaseExtendParams, JobsCompleteParams, JobsCompleteResult } from '@spool/core';
import { assertFixedWrite, batchCountsDelta, completionIntent } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import type { Executor, Row } from './executor.js';
import { finishIfDone } from './flow-settle.js';
import { FLOW_PARENT, KEY_SEPARATOR } from '@spool/core/storage-kit';
import type { HandoverScopes } from '@spool/core/storage-kit';
import { CLAIMED_SELECT, decodeClaimed, jsonOrNull } from './job-row.js';
import { KEY_SQL } from './jobs-fetch-gated.js';
import type { TransitionSpec } from './job-transition.js';
import { transition } from './job-transition.js';
import { nowSql } from './jobs-fetch.js';
import { inState } from './state-guard.js';
import type { WriteContext } from './write-context.js';

// Successes, the bulk of completions, in one statement committed on its own: each guarded by its
// lease token, with their counters (including the hour's succeeded count); the succeeded entry is
// recorded in the row (tail bit 2: no history row, see history-tail.ts). It writes the shape core
// decides for a success (checked below when this module loads), as `transition` does. The completions come as one JSON object keyed
// by job id; a job's record holds, only when they differ from the batch's common values ($2, $3),
// `t` the lease token and `s` the reason, and `r` the result when there is one. (Jobs of one claim
// share a lease token, and most reasons are alike, so a record is usually empty.)
// A job that holds flow-control gates gives them back in the same statement (held_gates is not
// written by the update: RETURNING gives the gates it took), and its queue's servers are woken.
// A job of a batch or a flow (flow <> 0, decision 46) is left to the general write, which settles
// its batch and its dependents. A job a continuation waits for is left alone: its continuations must be settled in the commit that
// finishes it, which takes a transaction of several statements. The statement's snapshot shows the
// continuations committed before it started; one created while the update waited for its creator's
// lock on the parent is not in it, but its creator marked the parent (`awaited`, migration 6), and
// the update checks its conditions again on the row as the creator left it.
// The statement answers with the ids it left, lease gone or awaited, not with the ids it completed:
// usually none.
// Its plan must not depend on the statistics (docs/decisions/0009-stable-plans.md):
// - the jobs are found by primary key only: the ids are an array the statement computes
//   (`id = ANY(ARRAY(...))`), which the planner always counts as 10 elements, so a few index probes
//   always look cheaper than reading the table; and the state is compared through inState, which
//   no partial index matches (state-guard.ts);
// - each job's record is looked up in the object by the job's id (`->`, a binary search), not
//   joined: joined, the planner chose a nested loop when the statistics said few jobs were
//   processing, and compared every job with every record (250,000 comparisons for 500 jobs);
// - the look for waiting continuations probes jobs_parent by the job's id: written inside a CASE,
//   it stays a subquery run per job (or, by the planner's choice, once for the statement, hashed);
//   as an anti-join, the planner read all of jobs_parent again for every job of the batch when the
//   statistics said the index was empty.
// The object is parsed once, in `t`.
const succeedSql = (s: string, members: boolean, handover = false): string => `WITH t AS (SELECT ${nowSql(4)} AS now, $1::jsonb AS batch
), done AS (
  UPDATE ${s}.jobs j SET state = 'succeeded', updated_at = t.now, lease_expires_at = NULL, finished_at = t.now,
    expires_at = t.now + j.retention_ms, progress = CASE WHEN j.progress IS NOT NULL THEN 100 END, result = t.batch -> j.id ->> 'r',
    tail = j.tail | 2, tail_reason = coalesce(t.batch -> j.id ->> 's', $3), tail_server = nullif($5::text, j.server_id)
  FROM t
  WHERE j.id = ANY(ARRAY(SELECT jsonb_object_keys(batch) FROM t)) AND ${inState('j.state', 'processing')}
    AND j.lease_token = coalesce(t.batch -> j.id ->> 't', $2)
    AND ${members ? `(j.flow & ${FLOW_PARENT}) = 0` : 'j.flow = 0'}
    AND CASE WHEN j.awaited THEN false ELSE NOT EXISTS (SELECT 1 FROM ${s}.jobs w WHERE w.parent_id = j.id AND ${inState('w.state', 'awaiting')}) END
  RETURNING j.id, j.queue, j.held_gates, j.batch_id
)${members ? `, counted AS (
  UPDATE ${s}.batches b SET finished = b.finished + m.n * $7, succeeded = b.succeeded + m.n * $8, failed = b.failed + m.n * $9
  FROM (SELECT batch_id, count(*)::int AS n FROM done WHERE batch_id IS NOT NULL GROUP BY batch_id) m
  WHERE b.id = m.batch_id
  RETURNING b.id, b.total, b.finished, b.succeeded, b.failed, b.finished_at, b.parent_batch_id
)` : ''}${handover ? handoverSql(s, members ? 10 : 7) : ''}, freed AS (
  ${handover ? FREED_LESS_PASSED : 'SELECT gate, count(*)::int AS n FROM done, unnest(done.held_gates) AS gate GROUP BY gate'}
), released AS (
  UPDATE ${s}.gates g SET running = greatest(g.running - f.n, 0)
  FROM (SELECT l.gate, f.n FROM (SELECT gate FROM ${s}.gates WHERE gate IN (SELECT gate FROM freed) ORDER BY gate FOR UPDATE) l JOIN freed f ON f.gate = l.gate) f
  WHERE g.gate = f.gate
), n AS (
  INSERT INTO ${s}.counters (key, shard, value)
  ${handover ? HANDOVER_COUNTERS : `SELECT k, $6, v FROM (SELECT count(*) AS n FROM done) x, t,
    LATERAL (VALUES ('state:processing', -x.n), ('state:succeeded', x.n), ('succeeded:' || (t.now / 3600000 * 3600000), x.n)) AS u(k, v)
  WHERE x.n > 0 ORDER BY k`}
  ON CONFLICT (key, shard) DO UPDATE SET value = counters.value + excluded.value
)
SELECT ARRAY(SELECT k FROM t, jsonb_object_keys(t.batch) AS k WHERE k NOT IN (SELECT id FROM done)) AS skipped,
  ${handover ? RELEASED_LESS_PASSED : 'ARRAY(SELECT DISTINCT queue FROM done WHERE held_gates IS NOT NULL)'} AS released${members ? ', (SELECT coalesce(json_agg(counted), \'[]\') FROM counted) AS batches' : ''}${handover ? `, (SELECT coalesce(json_agg(json_build_array(${CLAIMED_SELECT.replace(/(\w+)/g, 'l.$1')})), '[]') FROM leased l) AS handed` : ''}`;

// The hand-over of a success's place (decision 53), as core's handoverScopes allows it: $h the
// names' scopes ('job:<name>') whose key gates may pass, $h+1 the queues that may take a place,
// $h+2 the most jobs to hand over, $h+3 the lease's length, $h+4 its token, $h+5 the names the
// server runs (null: any). A job that held one gate, such a key gate, in such a queue not paused,
// passes its place when the gate is not paused (every gate of the successes locked here, in gate
// order, as every write that gives gates back locks them, before the count-down re-locks them): to the first waiting jobs of the same queue, name and key, read
// through jobs_keyed and locked as the claim locks (SKIP LOCKED: a job another claim holds is left
// to it). The jobs are leased as the claim leases them and hold the same gate, whose count stays.
// (The clock is read again rather than joined from t: t carries the batch's object, and a join
// copied it once per gate.)
const handoverSql = (s: string, h: number): string => `, passing AS (
  SELECT d.queue, d.held_gates[1] AS gate, count(*)::int AS n FROM done d
  WHERE cardinality(d.held_gates) = 1 AND d.queue = ANY($${h + 1}::text[]) AND split_part(d.held_gates[1], '${KEY_SEPARATOR}', 1) = ANY($${h}::text[])
    AND NOT EXISTS (SELECT 1 FROM ${s}.paused_queues pq WHERE pq.name = d.queue)
  GROUP BY 1, 2
), open AS (
  SELECT p.queue, p.gate, p.n FROM passing p
  JOIN (SELECT gate, paused_until FROM ${s}.gates WHERE gate IN (SELECT unnest(held_gates) FROM done) ORDER BY gate FOR UPDATE) g ON g.gate = p.gate
  WHERE g.paused_until <= ${nowSql(4)}
), candidates AS (
  SELECT c.ctid, c.priority, c.enqueue_seq, o.gate FROM open o CROSS JOIN LATERAL (
    SELECT j.ctid, j.priority, j.enqueue_seq FROM ${s}.jobs j
    WHERE j.state = 'enqueued' AND j.queue = o.queue AND j.name = substr(split_part(o.gate, '${KEY_SEPARATOR}', 1), 5)
      AND ${KEY_SQL} = substr(o.gate, position('${KEY_SEPARATOR}' in o.gate) + 1) AND j.tail = 0
      AND ($${h + 5}::text[] IS NULL OR j.name = ANY($${h + 5}::text[]))
    ORDER BY j.priority DESC, j.enqueue_seq LIMIT o.n
  ) c
), picked AS (
  SELECT j.ctid, c.gate FROM ${s}.jobs j JOIN candidates c ON j.ctid = c.ctid
  WHERE ${inState('j.state', 'enqueued')}
  ORDER BY c.priority DESC, c.enqueue_seq LIMIT $${h + 2} FOR UPDATE OF j SKIP LOCKED
), leased AS (
  UPDATE ${s}.jobs j SET state = 'processing', attempt = j.attempt + 1, lease_token = $${h + 4}, server_id = $5,
    lease_expires_at = t.now + $${h + 3}::bigint, started_at = t.now, updated_at = t.now, tail = 1, tail_reason = NULL, tail_server = NULL,
    held_gates = ARRAY[p.gate]
  FROM t, picked p WHERE j.ctid = p.ctid
  RETURNING ${CLAIMED_SELECT.replace(/(\w+)/g, 'j.$1')}, p.gate
)`;
// What the successes free less what passed on, per gate.
const FREED_LESS_PASSED = `SELECT f.gate, f.n - coalesce(h.n, 0) AS n FROM (SELECT gate, count(*)::int AS n FROM done, unnest(done.held_gates) AS gate GROUP BY gate) f
    LEFT JOIN (SELECT gate, count(*)::int AS n FROM leased GROUP BY gate) h ON h.gate = f.gate WHERE f.n > coalesce(h.n, 0)`;
// The queues of a freed place that did not pass: their servers are woken, as without a hand-over.
const RELEASED_LESS_PASSED = `ARRAY(SELECT DISTINCT d.queue FROM done d CROSS JOIN LATERAL unnest(d.held_gates) AS x(gate) JOIN freed f ON f.gate = x.gate)`;
// The successes' counters and the leases' (as the claim counts them), one row per counter.
const HANDOVER_COUNTERS = `SELECT k, $6, sum(v)::bigint FROM (
    SELECT u.k, u.v FROM (SELECT count(*) AS n FROM done) x, t,
      LATERAL (VALUES ('state:processing', -x.n), ('state:succeeded', x.n), ('succeeded:' || (t.now / 3600000 * 3600000), x.n)) AS u(k, v) WHERE x.n > 0
    UNION ALL SELECT u.k, u.v FROM (SELECT count(*) AS n FROM leased) x,
      LATERAL (VALUES ('state:processing', x.n), ('state:enqueued', -x.n)) AS u(k, v) WHERE x.n > 0
    UNION ALL SELECT 'queue:' || queue, -count(*) FROM leased GROUP BY queue
  ) z GROUP BY k HAVING sum(v) <> 0 ORDER BY k`;

// Jobs a continuation waits for are left to `transition`, which settles them.
assertFixedWrite('PostgreSQL succeedSql', 'success');

/** One success's record in {@link succeedSql}'s object: what differs from the batch's common values. */
interface SuccessRecord {
  t?: string;
  r?: string;
  s?: string;
}

/** Inputs of {@link succeedJobs}. */
export interface SuccessBatch {
  successes: readonly Completion[];
  serverId: string;
  /** The clock's time, or null for the database's. */
  now: number | null;
  shard: number;
  /**
   * Members of batches too (jobs no other job depends on), whose batches' counters the statement
   * adds to (as core decides for a success): only inside a transaction, whose caller settles the
   * batches it reports in `counted` before the commit.
   */
  counted?: Row[];
  /** Places to pass on (decision 53), with the jobs the statement leased added to `jobs`. */
  handover?: SuccessHandover;
}

/** A hand-over in {@link succeedJobs}: what core's handoverScopes allows, and the server's lease. */
export interface SuccessHandover {
  scopes: HandoverScopes;
  /** The names the server runs (null: any). */
  names: readonly string[] | null;
  limit: number;
  leaseMs: number;
  /** The jobs handed over, as leased. */
  jobs: FetchedJob[];
}

// What a success adds to its batch, as core decides (decision 46); the statement multiplies it.
const SUCCESS_COUNTS = batchCountsDelta('processing', 'succeeded')!;

/**
 * Records a batch of successes in one statement, atomic on its own (or part of the caller's
 * transaction), and their state events in `events`. Returns the ids it did not complete, for
 * {@link completeEach} to decide in a transaction: the lease no longer held, or a continuation waits
 * for the job.
 */
export async function succeedJobs(db: Executor, s: string, batch: SuccessBatch, events: EventBatch): Promise<Set<string>> {
  const { successes } = batch;
  const token = successes[0]!.leaseToken;
  const reason = successes[0]!.outcome.reason;
  const records = successes.map((c): [string, SuccessRecord] => {
    const record: SuccessRecord = {};
    if (c.leaseToken !== token) record.t = c.leaseToken;
    const result = c.outcome.state === 'succeeded' ? jsonOrNull(c.outcome.result) : null;
    if (result !== null) record.r = result;
    if (c.outcome.reason !== reason) record.s = c.outcome.reason;
    return [c.id, record];
  });
  // fromEntries, not assignment: an id such as "__proto__" stays a key.
  const members = batch.counted !== undefined;
  const values: unknown[] = [JSON.stringify(Object.fromEntries(records)), token, reason, batch.now, batch.serverId, batch.shard];
  if (members) values.push(SUCCESS_COUNTS.finished, SUCCESS_COUNTS.succeeded, SUCCESS_COUNTS.failed);
  const handover = batch.handover;
  const lease = handover ? { serverId: batch.serverId, leaseToken: randomUUID(), leaseMs: handover.leaseMs } : null;
  if (handover) {
    values.push(handover.scopes.names.map((name) => `job:${name}`), handover.scopes.queues, handover.limit, handover.leaseMs, lease!.leaseToken, handover.names);
  }
  const [row] = await db.run(succeedSql(s, members, handover !== undefined), values, true);
  if (members) batch.counted!.push(...(row!.batches as Row[]));
  if (handover) for (const leased of row!.handed as unknown[][]) handover.jobs.push(decodeClaimed(leased, lease!));
  const skipped = new Set(row!.skipped as string[]);
  for (const success of successes) if (!skipped.has(success.id)) events.state(success.id, 'succeeded', false);
  for (const queue of row!.released as string[]) events.enqueued(queue);
  return skipped;
}

/**
 * Records the outcomes of a batch in the caller's transaction: the successes in one statement
 * ({@link succeedJobs}, unless `fastPaths` is off), everything else one by one ({@link completeEach}).
 */
export async function completeJobs(ctx: WriteContext, params: JobsCompleteParams, fastPaths = true): Promise<JobsCompleteResult> {
  const successes = fastPaths ? params.completions.filter((c) => c.outcome.state === 'succeeded') : [];
  const counted: Row[] = [];
  const batch = { successes, serverId: params.serverId, now: ctx.nowParam, shard: ctx.shard, counted };
  const skipped = successes.length > 0 ? await succeedJobs(ctx.db, ctx.s, batch, ctx.events) : new Set<string>();
  // Batches the statement counted in: the ones that finished settle their dependents in this commit.
  for (const row of counted) await finishIfDone(ctx, row, ctx.events, transition);
  const rest = fastPaths ? params.completions.filter((c) => c.outcome.state !== 'succeeded' || skipped.has(c.id)) : params.completions;
  return answers(params.completions, await completeEach(ctx, rest, params.serverId));
}

/** The answer for every completion of a batch: as `decided` says, or done by the success statement. */
export function answers(completions: readonly Completion[], decided: JobsCompleteResult['results']): JobsCompleteResult {
  const ok = new Map(decided.map((r) => [r.id, r.ok]));
  return { results: completions.map((c) => ({ id: c.id, ok: ok.get(c.id) ?? true })) };
}

/**
 * Records outcomes of processing jobs in the caller's transaction, one by one, each guarded by its
 * lease token: a completion whose lease no longer holds writes nothing and reports `ok: false`,
 * unless it repeats the completion that was the job's last change (`ok: true`, nothing written).
 * Continuations of jobs that finish are settled in the same transaction.
 */
export async function completeEach(ctx: WriteContext, completions: readonly Completion[], serverId: string): Promise<JobsCompleteResult['results']> {
  const results: JobsCompleteResult['results'] = [];
  const refused: Completion[] = [];
  for (const completion of completions) {
    const ok = await transition(ctx, completionSpec(completion, serverId), ctx.events);
    if (!ok) refused.push(completion);
    results.push({ id: completion.id, ok });
  }
  if (refused.length > 0) {
    const recorded = await recordedBefore(ctx.db, ctx.s, refused);
    for (const result of results) if (recorded.has(result.id)) result.ok = true;
  }
  return results;
}

/**
 * The completions recorded before, in one statement: their job is in the outcome's state, left
 * there by the same lease (a finished job keeps the token of the completion that finished it).
 */
async function recordedBefore(db: Executor, s: string, completions: readonly Completion[]): Promise<Set<string>> {
  // By primary key whatever the statistics say, each job's record looked up by its id: as in succeedSql.
  const asked = completions.map((c) => [c.id, { t: c.leaseToken, s: c.outcome.state }] as const);
  const rows = await db.run(
    `WITH t AS (SELECT $1::jsonb AS asked)
     SELECT j.id FROM ${s}.jobs j, t
     WHERE j.id = ANY(ARRAY(SELECT jsonb_object_keys(asked) FROM t))
       AND (j.state COLLATE "C") = t.asked -> j.id ->> 's' AND j.lease_token = t.asked -> j.id ->> 't'`,
    [JSON.stringify(Object.fromEntries(asked))],
  );
  return new Set(rows.map((r) => r.id as string));
}

function completionSpec(completion: Completion, serverId: string): TransitionSpec {
  const { id, leaseToken, outcome } = completion;
  return { id, from: 'processing', intent: completionIntent(outcome), serverId, leaseToken, share: false };
}

/** Extends the leases of running jobs in one statement; returns the ids whose lease is gone. */
export async function extendLeases(ctx: WriteContext, params: JobLeaseExtendParams): Promise<string[]> {
  // Tokens as one JSON object keyed by id, as for completions: a server renews up to its
  // concurrency plus 500 claimed-ahead leases at once. By primary key whatever the statistics say,
  // each token looked up by the job's id: as in succeedSql. (An array of ids sent as a parameter
  // would be counted exactly, and 500 probes can look dearer than reading a table the statistics
  // think small.)
  const rows = await ctx.db.run(
    `WITH t AS (SELECT $1::jsonb AS leases)
     UPDATE ${ctx.s}.jobs j SET lease_expires_at = $2::bigint FROM t
     WHERE j.id = ANY(ARRAY(SELECT jsonb_object_keys(leases) FROM t)) AND ${inState('j.state', 'processing')} AND j.lease_token = t.leases ->> j.id
     RETURNING j.id`,
    [JSON.stringify(Object.fromEntries(params.leases.map((l) => [l.id, l.leaseToken]))), ctx.now + params.leaseMs],
  );
  const kept = new Set(rows.map((r) => r.id as string));
  return params.leases.filter((l) => !kept.has(l.id)).map((l) => l.id);
}

/** Sets a running job's progress, guarded by its lease. */
export async function setProgress(ctx: WriteContext, params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
  const rows = await ctx.db.run(
    `UPDATE ${ctx.s}.jobs SET progress = $1, updated_at = $2 WHERE id = $3 AND ${inState('state', 'processing')} AND lease_token = $4 RETURNING id`,
    [params.progress, ctx.now, params.id, params.leaseToken],
  );
  return rows.length > 0;
}
