import type { JobChangeParams, JobChangeResult, JobSetStateParams, JobSetStateResult, JobState, Json, NewLogRecord } from '@spool/core';
import { StorageError, canTransition, decideJobChange, operatorIntent } from '@spool/core';

import { jsonOrNull } from './job-row.js';

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

/**
 * Changes a job that has not started (due time, priority, queue, arguments), as core decides. The
 * row is locked (FOR UPDATE) when its facts are read, so no claim takes it before this write; the
 * state guard stays as a second line.
 */
export async function changeJob(ctx: WriteContext, params: JobChangeParams): Promise<JobChangeResult> {
  const [row] = await ctx.db.rows(`SELECT state, run_at, priority, queue FROM ${ctx.t.jobs} WHERE id = ? FOR UPDATE`, [params.id]);
  if (row === undefined) return { ok: false, previous: null };
  const state = row.state as JobState;
  const facts = { state, runAt: row.run_at === null ? null : Number(row.run_at), priority: Number(row.priority), queue: row.queue as string };
  const decision = decideJobChange({ job: facts, change: params.change, now: ctx.now, ...(params.cause ? { cause: params.cause } : {}) });
  if (!decision.ok) return { ok: false, previous: state, refused: decision.refused };
  const { write } = decision;
  const seq = write.queuePosition === 'back' ? await ctx.drawPositions(1) : null;
  await ctx.db.exec(
    `UPDATE ${ctx.t.jobs} SET updated_at = ?,
       run_at = IF(?, ?, run_at), priority = IF(?, ?, priority), queue = IF(?, ?, queue), args = IF(?, ?, args),
       enqueue_seq = COALESCE(?, enqueue_seq)
     WHERE id = ? AND state = ?`,
    [
      write.updatedAt,
      write.runAt !== 'keep',
      write.runAt === 'keep' ? null : write.runAt.set,
      write.priority !== 'keep',
      write.priority === 'keep' ? null : write.priority.set,
      write.queue !== 'keep',
      write.queue === 'keep' ? null : write.queue.set,
      write.args !== 'keep',
      write.args === 'keep' ? null : jsonOrNull(write.args.set),
      seq,
      params.id,
      write.state,
    ],
  );
  if (write.queueCounts !== null) ctx.queueMoved(write.queueCounts);
  const { history } = write;
  ctx.history(params.id, history.state, history.reason, history.data, history.serverId);
  if (write.state === 'enqueued') ctx.events.enqueued(write.queue === 'keep' ? facts.queue : write.queue.set);
  if (write.state === 'scheduled' && write.runAt !== 'keep') ctx.events.scheduled(write.runAt.set);
  return { ok: true, previous: state };
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
