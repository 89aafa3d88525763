import type { JobState } from '@spool/core';
import { PROMOTION_INTENT, rescueIntent } from '@spool/core';

import { transition } from './job-transition.js';
import { EXPIRING_STATES_SQL } from './state-sql.js';
import type { WriteContext } from './write-context.js';

/**
 * Enqueues scheduled jobs that are due, earliest first; reports when the next one is due. SKIP
 * LOCKED: two servers promoting at once take different jobs.
 */
export async function promoteDueJobs(ctx: WriteContext, limit: number): Promise<{ promoted: number; nextDueAt: number | null }> {
  const due = await ctx.db.rows(
    `SELECT id FROM ${ctx.t.jobs} FORCE INDEX (jobs_due) WHERE state = 'scheduled' AND run_at <= ? ORDER BY run_at LIMIT ? FOR UPDATE SKIP LOCKED`,
    [ctx.now, limit],
  );
  let promoted = 0;
  for (const { id } of due) {
    if (await transition(ctx, { id: id as string, from: 'scheduled', intent: PROMOTION_INTENT, serverId: null }, ctx.events)) promoted++;
  }
  const [next] = await ctx.db.rows(`SELECT MIN(run_at) AS next FROM ${ctx.t.jobs} WHERE state = 'scheduled'`);
  return { promoted, nextDueAt: next?.next === null || next?.next === undefined ? null : Number(next.next) };
}

/**
 * Returns processing jobs whose lease expired to the queue (one more rescue), or fails those that
 * would exceed `maxRescues` as poison pills. Reads expired leases only, through their index.
 */
export async function rescueExpiredLeases(ctx: WriteContext, params: { limit: number; maxRescues: number }): Promise<{ requeued: string[]; failed: string[] }> {
  const expired = await ctx.db.rows(
    `SELECT id, rescues, server_id FROM ${ctx.t.jobs} FORCE INDEX (jobs_leases) WHERE state = 'processing' AND lease_expires_at <= ?
     ORDER BY lease_expires_at LIMIT ? FOR UPDATE SKIP LOCKED`,
    [ctx.now, params.limit],
  );
  const requeued: string[] = [];
  const failed: string[] = [];
  for (const job of expired) {
    const id = job.id as string;
    const intent = rescueIntent({ rescues: job.rescues as number, serverId: job.server_id as string | null }, params.maxRescues);
    if (!(await transition(ctx, { id, from: 'processing', intent, serverId: null }, ctx.events))) continue;
    (intent.to === 'failed' ? failed : requeued).push(id);
  }
  return { requeued, failed };
}

/**
 * Removes finished jobs whose expiry has passed, with their history and logs, at most `limit`: a
 * small batch and a short transaction, so expiry never holds locks for long.
 */
export async function expireJobs(ctx: WriteContext, limit: number): Promise<{ deleted: number }> {
  const doomed = await ctx.db.rows(
    `SELECT id, state FROM ${ctx.t.jobs} FORCE INDEX (jobs_expiry) WHERE expires_at <= ? AND state IN ${EXPIRING_STATES_SQL}
     ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED`,
    [ctx.now, limit],
  );
  if (doomed.length === 0) return { deleted: 0 };
  const ids = doomed.map((r) => r.id as string);
  await ctx.db.exec(`DELETE FROM ${ctx.t.history} WHERE job_id IN (?)`, [ids]);
  await ctx.db.exec(`DELETE FROM ${ctx.t.logs} WHERE job_id IN (?)`, [ids]);
  await ctx.db.exec(`DELETE FROM ${ctx.t.jobs} WHERE id IN (?)`, [ids]);
  for (const row of doomed) ctx.removed(row.state as JobState);
  return { deleted: doomed.length };
}
