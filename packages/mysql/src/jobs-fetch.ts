import { randomUUID } from 'node:crypto';

import type { FetchedJob, JobClaimParams, JobState, JobsFetchParams } from '@spool/core';
import { CLAIM_NOW_INTENT, assertFixedWrite, claimIntent, decideStateChange } from '@spool/core';

import type { GateState, LimitsInForce } from '@spool/core/storage-kit';
import { claimMayMeetLimits, scopesOfClaim } from '@spool/core/storage-kit';

import type { Row } from './executor.js';
import { TAIL_STARTED } from './history-tail.js';
import { JOB_SELECT, decodeFetched } from './job-row.js';
import { transition } from './job-transition.js';
import { claimGated } from './jobs-fetch-gated.js';
import { inForceOf, lockGates, writeGates } from './limits-store.js';
import type { Tables } from './tables.js';
import type { WriteContext } from './write-context.js';

// The claim picks the first runnable jobs of a queue with FOR UPDATE SKIP LOCKED: servers racing for
// the same queue take different rows instead of waiting on each other, and no table or gap is
// locked (the storage's sessions run READ COMMITTED). FORCE INDEX keeps the read in the index's
// order, so the LIMIT stops it after the jobs it takes: a plan that sorted the queue first would
// lock every runnable row it sorted. The jobs of one claim share one lease token, drawn at random
// for each claim, so a token is never reused.
const pickSql = (jobs: string, named: boolean): string => `SELECT ${JOB_SELECT} FROM ${jobs} FORCE INDEX (jobs_runnable)
WHERE state = 'enqueued' AND queue = ?${named ? ' AND name IN (?)' : ''}
ORDER BY priority DESC, enqueue_seq LIMIT ? FOR UPDATE SKIP LOCKED`;

// The start's history entry is kept in the row (tail, history-tail.ts): the claim appends no history
// row. Every claim writes held_gates, the flow-control gates each job takes (NULL for none): a job that
// ran under limits before and is claimed again without them must not give back gates it no longer holds.
const leaseSql = (jobs: string, held: number): string => `UPDATE ${jobs} SET state = 'processing', attempt = attempt + 1, lease_token = ?, server_id = ?,
  lease_expires_at = ?, started_at = ?, updated_at = ?, tail = ${TAIL_STARTED}, held_gates = ${held === 0 ? 'NULL' : `CASE id ${'WHEN ? THEN ? '.repeat(held)}END`} WHERE id IN (?)`;

// What a fetch reads first, in one round trip: which of its queues are paused, and the stored
// limits (a tiny table). Queues and names without limits then take the claim below, unchanged.
const fetchSetupSql = (t: Tables): string => `SELECT 'paused' AS kind, name AS scope, NULL AS code, NULL AS operator FROM ${t.pausedQueues} WHERE name IN (?)
UNION ALL SELECT 'limits', scope, code, operator FROM ${t.limits}`;

// leaseSql writes the shape of core's FIXED_WRITES.claim, checked against the decision when this
// module loads.
assertFixedWrite('MySQL claim', 'claim');
/** What a claim of one job adds to the counters, as core decides it. */
export const CLAIM_COUNTERS = decideStateChange({ from: 'enqueued', ...claimIntent('', 1, '', 0), now: 0, serverId: null }).counters;

/** Whether a fetch can find nothing without asking the database. */
export function fetchesNothing(params: JobsFetchParams): boolean {
  return params.limit <= 0 || params.queues.length === 0 || (params.names !== null && params.names.length === 0);
}

/**
 * Moves up to `limit` enqueued jobs to processing, queue by queue in the given order (a later queue
 * only when earlier ones ran dry), skipping paused queues. Emits no events: servers must not mistake
 * their own claim for someone else's change.
 */
export async function fetchJobs(ctx: WriteContext, params: JobsFetchParams): Promise<FetchedJob[]> {
  const { paused, limits } = await readPausedAndLimits(ctx, params.queues);
  const named = params.names !== null;
  const token = randomUUID();
  const fetched: FetchedJob[] = [];
  const gated = limits.size === 0 ? [] : params.queues.filter((q) => !paused.has(q) && claimMayMeetLimits(limits, q, params.names));
  // The scope gates of every limited queue of this fetch, locked at once in gate order before any
  // candidate is read: two fetches that list queues in different orders never wait in a cycle.
  const gates = await lockGates(ctx, [...new Set(gated.flatMap((q) => scopesOfClaim(limits, q, params.names)))].sort());
  const changed = new Map<string, GateState>();
  let gatedLeft = params.gatedLimit ?? params.limit;
  for (const queue of params.queues) {
    const wanted = params.limit - fetched.length;
    if (wanted <= 0) break;
    if (paused.has(queue)) continue;
    if (gated.includes(queue)) {
      const start = async (rows: Row[], taken: Map<string, string[]>): Promise<void> => {
        await lease(ctx, rows, token, params.serverId, params.leaseMs, taken);
        ctx.counted(CLAIM_COUNTERS, queue, rows.length);
      };
      const rows = gatedLeft <= 0 ? [] : await claimGated(ctx, { queue, names: params.names, wanted: Math.min(wanted, gatedLeft), limits, gates, changed }, start);
      gatedLeft -= rows.length;
      for (const row of rows) fetched.push(decodeFetched(row));
      continue;
    }
    const rows = await ctx.db.rows(pickSql(ctx.t.jobs, named), named ? [queue, params.names, wanted] : [queue, wanted]);
    if (rows.length === 0) continue;
    await lease(ctx, rows, token, params.serverId, params.leaseMs);
    ctx.counted(CLAIM_COUNTERS, queue, rows.length);
    for (const row of rows) fetched.push(decodeFetched(row));
  }
  await writeGates(ctx, changed);
  return fetched;
}

/** Which of `queues` are paused, and the limits in force, in one round trip of the caller's transaction. */
export async function readPausedAndLimits(ctx: WriteContext, queues: readonly string[]): Promise<{ paused: Set<string>; limits: LimitsInForce }> {
  const setup = await ctx.db.rows(fetchSetupSql(ctx.t), [queues]);
  const paused = new Set(setup.filter((r) => r.kind === 'paused').map((r) => r.scope as string));
  return { paused, limits: inForceOf(setup.filter((r) => r.kind === 'limits')) };
}

/**
 * Claims one job by id (for `perform`): null when it does not exist, is not in an expected state or
 * is already running. A job not yet enqueued is enqueued first, so its history tells the whole
 * story. Emits no events.
 */
export async function claimJob(ctx: WriteContext, params: JobClaimParams): Promise<FetchedJob | null> {
  const [found] = await ctx.db.rows(`SELECT state FROM ${ctx.t.jobs} WHERE id = ? FOR UPDATE`, [params.id]);
  if (found === undefined) return null;
  const current = found.state as JobState;
  if (!params.expected.includes(current) || current === 'processing') return null;
  if (current !== 'enqueued') await transition(ctx, { id: params.id, from: current, intent: CLAIM_NOW_INTENT, serverId: null }, ctx.silent);
  const [row] = await ctx.db.rows(`SELECT ${JOB_SELECT} FROM ${ctx.t.jobs} WHERE id = ?`, [params.id]);
  await lease(ctx, [row!], randomUUID(), params.serverId, params.leaseMs);
  ctx.counted(CLAIM_COUNTERS, row!.queue as string);
  return decodeFetched(row!);
}

/**
 * Puts picked rows under one lease, records each start in its row (history-tail.ts), and brings the
 * rows up to date; `held`: the flow-control gates each job takes, by id (none when absent).
 */
export async function lease(ctx: WriteContext, rows: Row[], token: string, serverId: string, leaseMs: number, held?: ReadonlyMap<string, readonly string[]>): Promise<void> {
  const leaseExpiresAt = ctx.now + leaseMs;
  const cases = held === undefined ? [] : rows.flatMap((r) => [r.id, gatesJson(held.get(r.id as string))]);
  await ctx.db.exec(leaseSql(ctx.t.jobs, cases.length / 2), [token, serverId, leaseExpiresAt, ctx.now, ctx.now, ...cases, rows.map((r) => r.id)]);
  for (const row of rows) {
    const attempt = (row.attempt as number) + 1;
    Object.assign(row, { state: 'processing', attempt, lease_token: token, server_id: serverId, lease_expires_at: leaseExpiresAt, started_at: ctx.now, updated_at: ctx.now });
  }
}

/** A job's gates as its held_gates column holds them: NULL when it took none. */
function gatesJson(gates: readonly string[] | undefined): string | null {
  return gates === undefined || gates.length === 0 ? null : JSON.stringify(gates);
}
