import type { JobChangeParams, JobChangeResult, JobSetStateParams, JobSetStateResult, JobState, Json, NewLogRecord } from '@spool/core';
import { StorageError, canTransition, decideJobChange, operatorIntent } from '@spool/core';

import { jsonOrNull } from './job-row.js';
import { historyRef, transition } from './job-transition.js';
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

// A change of a waiting job, as core decides it; the guard on the state read makes the write fail
// (not apply to a running job) if a claim got there first. Inside BEGIN IMMEDIATE no claim can.
const CHANGE_SQL = `UPDATE spool_jobs SET
  updated_at = @now,
  run_at = CASE WHEN @setRunAt THEN @runAt ELSE run_at END,
  priority = CASE WHEN @setPriority THEN @priority ELSE priority END,
  queue = CASE WHEN @setQueue THEN @queue ELSE queue END,
  args = CASE WHEN @setArgs THEN @args ELSE args END,
  enqueue_seq = coalesce(@seq, enqueue_seq),
  history_ids = history_ids || @historyRef
WHERE id = @id AND state = @state`;

/** Changes a job that has not started (due time, priority, queue, arguments), as core decides. */
export function changeJob(ctx: WriteContext, params: JobChangeParams): JobChangeResult {
  const row = ctx.conn.stmt('SELECT state, run_at, priority, queue FROM spool_jobs WHERE id = ?').get(params.id) as
    | { state: JobState; run_at: number | null; priority: number; queue: string }
    | undefined;
  if (row === undefined) return { ok: false, previous: null };
  const decision = decideJobChange({
    job: { state: row.state, runAt: row.run_at, priority: row.priority, queue: row.queue },
    change: params.change,
    now: ctx.now,
    ...(params.cause ? { cause: params.cause } : {}),
  });
  if (!decision.ok) return { ok: false, previous: row.state, refused: decision.refused };
  const { write } = decision;
  const historyId = ctx.nextHistoryId();
  const { changes } = ctx.conn.stmt(CHANGE_SQL).run({
    now: write.updatedAt,
    setRunAt: write.runAt === 'keep' ? 0 : 1,
    runAt: write.runAt === 'keep' ? null : write.runAt.set,
    setPriority: write.priority === 'keep' ? 0 : 1,
    priority: write.priority === 'keep' ? null : write.priority.set,
    setQueue: write.queue === 'keep' ? 0 : 1,
    queue: write.queue === 'keep' ? null : write.queue.set,
    setArgs: write.args === 'keep' ? 0 : 1,
    args: write.args === 'keep' ? null : jsonOrNull(write.args.set),
    seq: write.queuePosition === 'back' ? ctx.nextSeq() : null,
    historyRef: historyRef(historyId),
    id: params.id,
    state: write.state,
  });
  if (changes === 0) return { ok: false, previous: row.state, refused: 'not-waiting' };
  if (write.queueCounts !== null) ctx.queueMoved(write.queueCounts);
  const { history } = write;
  ctx.history(historyId, params.id, history.state, history.reason, history.data, history.serverId);
  const queue = write.queue === 'keep' ? row.queue : write.queue.set;
  if (write.state === 'enqueued') ctx.events.enqueued(queue);
  if (write.state === 'scheduled' && write.runAt !== 'keep') ctx.events.scheduled(write.runAt.set);
  return { ok: true, previous: row.state };
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
