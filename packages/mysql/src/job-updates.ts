import type { JobSetStateParams, JobSetStateResult, JobState, Json, NewLogRecord } from '@spool/core';
import { StorageError, canTransition, operatorIntent } from '@spool/core';

import { transition } from './job-transition.js';
import { EXPIRING_STATES_SQL } from './state-sql.js';
import type { WriteContext } from './write-context.js';

/** Compare-and-set of one job's state for operator actions (delete, requeue, retry). */
export async function setJobState(ctx: WriteContext, params: JobSetStateParams): Promise<JobSetStateResult> {
  const [row] = await ctx.db.rows(`SELECT state FROM ${ctx.t.jobs} WHERE id = ? FOR UPDATE`, [params.id]);
  if (row === undefined) return { ok: false, previous: null };
  const previous = row.state as JobState;
  if (!params.expected.includes(previous) || !canTransition(previous, params.state)) return { ok: false, previous };
  await transition(ctx, { id: params.id, from: previous, intent: operatorIntent(params), serverId: null }, ctx.events);
  return { ok: true, previous };
}

/** Appends log lines of jobs that exist, in order; lines of unknown jobs are dropped (the job expired meanwhile). */
export async function appendLogs(ctx: WriteContext, entries: readonly NewLogRecord[]): Promise<void> {
  const existing = await ctx.db.rows(`SELECT id FROM ${ctx.t.jobs} WHERE id IN (?)`, [[...new Set(entries.map((e) => e.jobId))]]);
  const known = new Set(existing.map((r) => r.id as string));
  const rows = entries.filter((e) => known.has(e.jobId)).map((e) => [e.jobId, e.attempt, e.level, e.message, new Date(e.at).getTime()]);
  if (rows.length > 0) await ctx.db.exec(`INSERT INTO ${ctx.t.logs} (job_id, attempt, level, message, at) VALUES ?`, [rows]);
}

/** Sets one job parameter; false when the job does not exist. */
export async function setParameter(ctx: WriteContext, params: { id: string; key: string; value: Json }): Promise<boolean> {
  const [row] = await ctx.db.rows(`SELECT parameters FROM ${ctx.t.jobs} WHERE id = ? FOR UPDATE`, [params.id]);
  if (row === undefined) return false;
  let parameters: Record<string, Json>;
  try {
    parameters = JSON.parse(row.parameters as string) as Record<string, Json>;
  } catch (error) {
    throw new StorageError(`MySQL storage: job ${params.id} has unreadable parameters (column "parameters" holds invalid JSON); not overwriting them.`, {
      retryable: false,
      cause: error,
    });
  }
  // defineProperty, not assignment: a key such as "__proto__" stays a key.
  Object.defineProperty(parameters, params.key, { value: params.value, enumerable: true, configurable: true, writable: true });
  await ctx.db.exec(`UPDATE ${ctx.t.jobs} SET parameters = ? WHERE id = ?`, [JSON.stringify(parameters), params.id]);
  return true;
}

/** Sets when a job is removed: `ttlMs` after now if it is finished in an expiring state, or never. */
export async function setExpiration(ctx: WriteContext, params: { id: string; ttlMs: number | null }): Promise<boolean> {
  // affectedRows counts the rows found, changed or not (mysql2 connects with CLIENT_FOUND_ROWS).
  const { affectedRows } =
    params.ttlMs === null
      ? await ctx.db.exec(`UPDATE ${ctx.t.jobs} SET retention_ms = NULL, expires_at = NULL WHERE id = ?`, [params.id])
      : await ctx.db.exec(`UPDATE ${ctx.t.jobs} SET retention_ms = ?, expires_at = CASE WHEN state IN ${EXPIRING_STATES_SQL} THEN ? ELSE NULL END WHERE id = ?`, [
          params.ttlMs,
          ctx.now + params.ttlMs,
          params.id,
        ]);
  return affectedRows > 0;
}
