import type { JobSetStateParams, JobSetStateResult, JobState, Json, NewLogRecord } from '@spool/core';
import { StorageError, canTransition, operatorIntent } from '@spool/core';

import { transition } from './job-transition.js';
import { EXPIRING_SQL } from './state-sql.js';
import type { WriteContext } from './write-context.js';

/** Compare-and-set of one job's state for operator actions (delete, requeue, retry). */
export function setJobState(ctx: WriteContext, params: JobSetStateParams): JobSetStateResult {
  const row = ctx.conn.stmt('SELECT state FROM spool_jobs WHERE id = ?').get(params.id) as { state: JobState } | undefined;
  if (row === undefined) return { ok: false, previous: null };
  const previous = row.state;
  if (!params.expected.includes(previous) || !canTransition(previous, params.state)) return { ok: false, previous };
  transition(ctx, { id: params.id, from: previous, intent: operatorIntent(params), serverId: null }, ctx.events);
  return { ok: true, previous };
}

/** Appends log lines of jobs that exist; lines of unknown jobs are dropped (the job expired meanwhile). */
export function appendLogs(ctx: WriteContext, entries: readonly NewLogRecord[]): void {
  const insert = ctx.conn.stmt(
    'INSERT INTO spool_logs (job_id, attempt, level, message, at) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM spool_jobs WHERE id = ?)',
  );
  for (const e of entries) insert.run(e.jobId, e.attempt, e.level, e.message, new Date(e.at).getTime(), e.jobId);
}

/** Sets one job parameter; false when the job does not exist. */
export function setParameter(ctx: WriteContext, params: { id: string; key: string; value: Json }): boolean {
  const text = ctx.conn.pluck('SELECT parameters FROM spool_jobs WHERE id = ?').get(params.id) as string | undefined;
  if (text === undefined) return false;
  let parameters: Record<string, Json>;
  try {
    parameters = JSON.parse(text) as Record<string, Json>;
  } catch (error) {
    throw new StorageError(`SQLite storage: job ${params.id} has unreadable parameters (column "parameters" holds invalid JSON); not overwriting them.`, {
      retryable: false,
      cause: error,
    });
  }
  parameters[params.key] = params.value;
  ctx.conn.stmt('UPDATE spool_jobs SET parameters = ? WHERE id = ?').run(JSON.stringify(parameters), params.id);
  return true;
}

/** Sets when a job is removed: `ttlMs` after now if it is finished in an expiring state, or never. */
export function setExpiration(ctx: WriteContext, params: { id: string; ttlMs: number | null }): boolean {
  const sql =
    params.ttlMs === null
      ? 'UPDATE spool_jobs SET retention_ms = NULL, expires_at = NULL WHERE id = ?'
      : `UPDATE spool_jobs SET retention_ms = ?, expires_at = CASE WHEN ${EXPIRING_SQL} THEN ? ELSE NULL END WHERE id = ?`;
  const statement = ctx.conn.stmt(sql);
  const info = params.ttlMs === null ? statement.run(params.id) : statement.run(params.ttlMs, ctx.now + params.ttlMs, params.id);
  return info.changes > 0;
}
