import { randomUUID } from 'node:crypto';

import type { FetchedJob, JobClaimParams, JobState, JobsFetchParams } from '@spool/core';
import { CLAIM_NOW_INTENT, assertFixedWrite, claimIntent, decideStateChange } from '@spool/core';

import type { Executor } from './executor.js';
import { spillSql } from './history-tail.js';
import { CLAIMED_SELECT, JOB_SELECT, decodeClaimed, decodeFetched } from './job-row.js';
import { transition } from './job-transition.js';
import { inState } from './state-guard.js';
import type { WriteContext } from './write-context.js';

/** The storage clock's time in SQL: the injected clock's value when given ($n), else the database's transaction time. */
export const nowSql = (n: number): string => `coalesce($${n}::bigint, (extract(epoch from now()) * 1000)::bigint)`;

// The claim, as one statement, of the jobs of queues and names without limits (a claim that may
// meet limits goes through jobs-fetch-gated.ts; this statement never takes a job with limits, even
// when the storage has not heard of them yet): read the first runnable jobs of the queue without
// locking them (`candidates`: twice the claim, so that a server racing for the same queue still
// finds a full claim among them), then lock them in the queue's order with FOR UPDATE SKIP LOCKED
// up to the claim's size (servers racing take different rows instead of waiting on each other; a
// row another claim took since the read fails the state test again and is passed over). Locking a
// row writes it: reading per job name and locking after the merge locks only what is claimed,
// where locking inside each name's range locked up to a claim's size per name (10 names: about
// 250 more bytes of WAL per job). Then lease them, record their start in the row (tail = 1: no history row, see history-tail.ts) and
// move the counters. An enqueued job holds no entries in its row (every way into 'enqueued' spills
// them), but a schema shared with a version before migration 4 can leave some: they are spilled
// first. One index range per job name (LATERAL), so a backlog of jobs no running server can run is
// never walked; without names, the names of the queue's enqueued jobs are found first, one index
// probe each (`names`, a skip scan of jobs_runnable). Reading the queue's jobs in one range instead
// means reading and sorting all of them, as jobs_runnable is ordered by name before priority: the
// planner then chose, by the statistics, between that and reading the whole table (it did, after an
// ANALYZE of a backlog). The update finds the picked rows by their physical address (a TID scan):
// a locked row cannot move before the update, and the planner cannot choose to hash the whole table
// instead, as it does when joining by id. The jobs of one claim share its lease token, drawn at
// random by the caller for each claim (so a token is never reused), and the completion of a batch
// sends it once. The claim returns only what it did not decide itself, as arrays (decodeClaimed):
// less to send, parse and collect per job.
// A claim's commit need not wait for the disk (synchronous_commit off for this transaction only):
// if the database crashes before the claim reaches disk, the job is simply enqueued again, and any
// later durable commit (the job's completion) flushes the claim's WAL first. At-least-once is
// unchanged.
/**
 * Whether a limits row's layer in force gates a claim (concurrency, rate or per-key limits): a row
 * whose only limit is a queue's bound (maxSize, checked at enqueue) does not, as in core's
 * `limitsInForce`.
 */
export const GATING_SQL = (l: string): string =>
  `(SELECT g->>'concurrency' IS NOT NULL OR g->>'rate' IS NOT NULL OR g->>'perKey' IS NOT NULL FROM (SELECT coalesce(${l}.operator, ${l}.code)::jsonb AS g) x)`;

const claimSql = (s: string, named: boolean): string => `WITH${named ? '' : ' RECURSIVE'} t AS (
  SELECT ${nowSql(1)} AS now, set_config('synchronous_commit', 'off', true) AS async
),${named ? '' : `
names AS (
  (SELECT j.name FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $2 AND $3::text[] IS NULL ORDER BY j.name LIMIT 1)
  UNION ALL
  SELECT (SELECT j.name FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $2 AND j.name > n.name ORDER BY j.name LIMIT 1)
  FROM names n WHERE n.name IS NOT NULL
),`}
candidates AS (
  SELECT p.ctid FROM ${named ? 'unnest($3::text[]) AS n(name)' : 'names n'} CROSS JOIN LATERAL (
    SELECT j.ctid, j.priority, j.enqueue_seq FROM ${s}.jobs j
    WHERE j.state = 'enqueued' AND j.queue = $2 AND j.name = n.name
    ORDER BY j.priority DESC, j.enqueue_seq LIMIT $4 * 2
  ) p
  WHERE NOT EXISTS (SELECT 1 FROM ${s}.paused_queues WHERE name = $2)
    AND NOT EXISTS (SELECT 1 FROM ${s}.limits l WHERE (l.scope = 'queue:' || $2::text OR l.scope = 'job:' || n.name) AND ${GATING_SQL('l')})
  ORDER BY p.priority DESC, p.enqueue_seq LIMIT $4 * 2
), picked AS (
  SELECT j.ctid, j.id, j.tail FROM ${s}.jobs j
  WHERE j.ctid = ANY(ARRAY(SELECT ctid FROM candidates)) AND ${inState('j.state', 'enqueued')}
  ORDER BY j.priority DESC, j.enqueue_seq LIMIT $4 FOR UPDATE SKIP LOCKED
), spilled AS (
  ${spillSql(s, 'ANY(ARRAY(SELECT id FROM picked WHERE tail <> 0))')}
), leased AS (
  UPDATE ${s}.jobs j SET state = 'processing', attempt = j.attempt + 1, lease_token = $8,
    server_id = $5, lease_expires_at = t.now + $6::bigint, started_at = t.now, updated_at = t.now, tail = 1, tail_reason = NULL, tail_server = NULL,
    held_gates = NULL
  FROM t WHERE j.ctid = ANY(ARRAY(SELECT ctid FROM picked))
  RETURNING ${CLAIMED_SELECT.replace(/(\w+)/g, 'j.$1')}, j.enqueue_seq
), c AS (
  INSERT INTO ${s}.counters (key, shard, value)
  SELECT k, $7, v FROM (SELECT count(*) AS n FROM leased) x,
    LATERAL (VALUES ('queue:' || $2::text, -x.n), ('state:enqueued', -x.n), ('state:processing', x.n)) AS u(k, v)
  WHERE x.n > 0 ORDER BY k
  ON CONFLICT (key, shard) DO UPDATE SET value = counters.value + excluded.value
)
SELECT ${CLAIMED_SELECT} FROM leased ORDER BY priority DESC, enqueue_seq`;

// claimSql and claimJob's lease write the shape of core's FIXED_WRITES.claim, checked against the
// decision when this module loads. The start's history entry is kept in the row (tail = 1) and read
// back as claimIntent's text (history-tail.ts).
assertFixedWrite('PostgreSQL claim', 'claim');
const CLAIM_COUNTERS = decideStateChange({ from: 'enqueued', ...claimIntent('', 1, '', 0), now: 0, serverId: null }).counters;

/** Inputs of one queue's claim. */
export interface QueueClaim {
  queue: string;
  names: readonly string[] | null;
  limit: number;
  serverId: string;
  leaseMs: number;
  /** The clock's time, or null for the database's. */
  now: number | null;
  shard: number;
}

/**
 * Leases up to `limit` enqueued jobs of one queue in one statement (atomic on its own); returns them
 * in queue order. Emits no events: servers must not mistake their own claim for someone else's change.
 */
export async function claimFromQueue(db: Executor, s: string, claim: QueueClaim): Promise<FetchedJob[]> {
  const named = claim.names !== null;
  const lease = { serverId: claim.serverId, leaseToken: randomUUID(), leaseMs: claim.leaseMs };
  const rows = await db.runArrays(
    claimSql(s, named),
    [claim.now, claim.queue, claim.names, claim.limit, claim.serverId, claim.leaseMs, claim.shard, lease.leaseToken],
    true,
  );
  return rows.map((row) => decodeClaimed(row, lease));
}

/** Whether a fetch can find nothing without asking the database. */
export function fetchesNothing(params: JobsFetchParams): boolean {
  return params.limit <= 0 || params.queues.length === 0 || (params.names !== null && params.names.length === 0);
}

/**
 * Claims one job by id (for `perform`): null when it does not exist, is not in an expected state or
 * is already running. A job not yet enqueued is enqueued first, so its history tells the whole story.
 * Emits no events.
 */
export async function claimJob(ctx: WriteContext, params: JobClaimParams): Promise<FetchedJob | null> {
  const [row] = await ctx.db.run(`SELECT state, tail FROM ${ctx.s}.jobs WHERE id = $1 FOR UPDATE`, [params.id]);
  if (row === undefined) return null;
  const current = row.state as JobState;
  if (!params.expected.includes(current) || current === 'processing') return null;
  if (current !== 'enqueued') {
    await transition(ctx, { id: params.id, from: current, intent: CLAIM_NOW_INTENT, serverId: null }, ctx.silent);
  } else if (row.tail !== 0) {
    await ctx.db.run(spillSql(ctx.s, '$1'), [params.id]);
  }
  // The start is recorded in the row, as by the claim; entries buffered above come before it.
  const [leased] = await ctx.db.run(
    `UPDATE ${ctx.s}.jobs SET state = 'processing', attempt = attempt + 1, lease_token = gen_random_uuid()::text, server_id = $2,
       lease_expires_at = $3::bigint + $4::bigint, started_at = $3, updated_at = $3, tail = 1, tail_reason = NULL, tail_server = NULL,
       held_gates = NULL
     WHERE id = $1 RETURNING ${JOB_SELECT}`,
    [params.id, params.serverId, ctx.now, params.leaseMs],
  );
  const job = decodeFetched(leased!);
  ctx.counted(CLAIM_COUNTERS, job.queue);
  return job;
}
