import type { JobState } from '@spool/core';
import { PROMOTION_INTENT, assertFixedWrite, decideStateChange, rescueIntent } from '@spool/core';

import { transition } from './job-transition.js';
import type { WriteContext } from './write-context.js';

// The promotion statement writes the shape of core's FIXED_WRITES.promotion, checked against the
// decision when this module loads.
assertFixedWrite('PostgreSQL promotion', 'promotion');
const PROMOTION = decideStateChange({ from: 'scheduled', ...PROMOTION_INTENT, now: 0, serverId: null });

/**
 * Enqueues scheduled jobs that are due, earliest first, in one statement; reports when the next one
 * is due. SKIP LOCKED: two servers promoting at once take different jobs.
 */
export async function promoteDueJobs(ctx: WriteContext, limit: number): Promise<{ promoted: number; nextDueAt: number | null }> {
  const rows = await ctx.db.run(
    `WITH due AS (
       SELECT id FROM ${ctx.s}.jobs WHERE state = 'scheduled' AND run_at <= $1 ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED
     )
     UPDATE ${ctx.s}.jobs j SET state = 'enqueued', updated_at = $1, run_at = NULL, finished_at = NULL, expires_at = NULL,
       lease_token = NULL,
       enqueue_seq = nextval('${ctx.s}.enqueue_seq')
     FROM due WHERE j.id = due.id RETURNING j.id, j.queue`,
    [ctx.now, limit],
  );
  for (const row of rows) {
    const id = row.id as string;
    const queue = row.queue as string;
    ctx.counted(PROMOTION.counters, queue);
    ctx.history(id, 'enqueued', PROMOTION.history.reason, PROMOTION.history.data, null);
    ctx.events.enqueued(queue);
    ctx.events.state(id, 'enqueued', true);
  }
  const [next] = await ctx.db.run(`SELECT min(run_at) AS next FROM ${ctx.s}.jobs WHERE state = 'scheduled'`);
  return { promoted: rows.length, nextDueAt: next!.next === null ? null : Number(next!.next) };
}

/**
 * Returns processing jobs whose lease expired to the queue (one more rescue), or fails those that
 * would exceed `maxRescues` as poison pills. Reads expired leases only, through their index.
 */
export async function rescueExpiredLeases(ctx: WriteContext, params: { limit: number; maxRescues: number }): Promise<{ requeued: string[]; failed: string[] }> {
  const expired = await ctx.db.run(
    `SELECT id, rescues, server_id FROM ${ctx.s}.jobs WHERE state = 'processing' AND lease_expires_at <= $1
     ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [ctx.now, params.limit],
  );
  const requeued: string[] = [];
  const failed: string[] = [];
  for (const job of expired) {
    const id = job.id as string;
    const intent = rescueIntent({ rescues: job.rescues as number, serverId: job.server_id as string | null }, params.maxRescues);
    await transition(ctx, { id, from: 'processing', intent, serverId: null }, ctx.events);
    (intent.to === 'failed' ? failed : requeued).push(id);
  }
  return { requeued, failed };
}

/**
 * Removes finished jobs whose expiry has passed, with their history and logs, at most `limit`, in
 * one statement: a small batch and a short transaction, so expiry never holds locks for long.
 */
export async function expireJobs(ctx: WriteContext, limit: number): Promise<{ deleted: number }> {
  const rows = await ctx.db.run(
    `WITH doomed AS (
       SELECT id FROM ${ctx.s}.jobs WHERE expires_at <= $1 AND state IN ('succeeded', 'deleted')
       ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), gone AS (
       DELETE FROM ${ctx.s}.jobs j USING doomed WHERE j.id = doomed.id RETURNING j.id, j.state
     ), h AS (
       DELETE FROM ${ctx.s}.history WHERE job_id IN (SELECT id FROM gone)
     ), l AS (
       DELETE FROM ${ctx.s}.logs WHERE job_id IN (SELECT id FROM gone)
     )
     SELECT state, count(*)::int AS n FROM gone GROUP BY state`,
    [ctx.now, limit],
  );
  let deleted = 0;
  for (const row of rows) {
    ctx.removed(row.state as JobState, row.n as number);
    deleted += row.n as number;
  }
  return { deleted };
}

