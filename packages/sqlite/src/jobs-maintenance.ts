import type { JobState } from '@spool/core';
import { PROMOTION_INTENT, rescueIntent } from '@spool/core';

import { historyIdsJson, transition } from './job-transition.js';
import { EXPIRING_SQL } from './state-sql.js';
import type { WriteContext } from './write-context.js';

/** Enqueues scheduled jobs that are due, earliest first; reports when the next one is due. */
export function promoteDueJobs(ctx: WriteContext, limit: number): { promoted: number; nextDueAt: number | null } {
  const due = ctx.conn
    .pluck("SELECT id FROM spool_jobs INDEXED BY spool_jobs_scheduled WHERE state = 'scheduled' AND run_at <= ? ORDER BY run_at LIMIT ?")
    .all(ctx.now, limit) as string[];
  for (const id of due) {
    transition(ctx, { id, from: 'scheduled', intent: PROMOTION_INTENT, serverId: null }, ctx.events);
  }
  const next = ctx.conn.pluck("SELECT min(run_at) FROM spool_jobs INDEXED BY spool_jobs_scheduled WHERE state = 'scheduled'").get() as number | null;
  return { promoted: due.length, nextDueAt: next };
}

/**
 * Returns processing jobs whose lease expired to the queue (one more rescue), or fails those that
 * would exceed `maxRescues` as poison pills. Reads expired leases only, through their index.
 */
export function rescueExpiredLeases(ctx: WriteContext, params: { limit: number; maxRescues: number }): { requeued: string[]; failed: string[] } {
  const expired = ctx.conn
    .stmt("SELECT id, rescues, server_id FROM spool_jobs INDEXED BY spool_jobs_leases WHERE state = 'processing' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?")
    .all(ctx.now, params.limit) as Array<{ id: string; rescues: number; server_id: string | null }>;
  const requeued: string[] = [];
  const failed: string[] = [];
  for (const job of expired) {
    const intent = rescueIntent({ rescues: job.rescues, serverId: job.server_id }, params.maxRescues);
    transition(ctx, { id: job.id, from: 'processing', intent, serverId: null }, ctx.events);
    (intent.to === 'failed' ? failed : requeued).push(job.id);
  }
  return { requeued, failed };
}

/** Removes finished jobs whose expiry has passed, with their history and logs, at most `limit`. */
export function expireJobs(ctx: WriteContext, limit: number): { deleted: number } {
  const expired = ctx.conn
    .stmt(`SELECT id, state, history_ids FROM spool_jobs WHERE expires_at <= ? AND ${EXPIRING_SQL} ORDER BY expires_at LIMIT ?`)
    .all(ctx.now, limit) as Array<{ id: string; state: JobState; history_ids: string }>;
  const history = ctx.conn.stmt('DELETE FROM spool_history WHERE id IN (SELECT value FROM json_each(?))');
  const logs = ctx.conn.stmt('DELETE FROM spool_logs WHERE job_id = ?');
  const job = ctx.conn.stmt('DELETE FROM spool_jobs WHERE id = ?');
  for (const { id, state, history_ids } of expired) {
    if (history_ids !== '') history.run(historyIdsJson(history_ids));
    logs.run(id);
    job.run(id);
    ctx.removed(state);
  }
  return { deleted: expired.length };
}
