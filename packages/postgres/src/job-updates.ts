import type { JobSetStateParams, JobSetStateResult, JobState, Json, NewLogRecord } from '@spool/core';
import { StorageError, canTransition, operatorIntent } from '@spool/core';

import { transition } from './job-transition.js';
import type { WriteContext } from './write-context.js';

/** Compare-and-set of one job's state for operator actions (delete, requeue, retry). */
export async function setJobState(ctx: WriteContext, params: JobSetStateParams): Promise<JobSetStateResult> {
  const [row] = await ctx.db.run(`SELECT state FROM ${ctx.s}.jobs WHERE id = $1 FOR UPDATE`, [params.id]);
  if (row === undefined) return { ok: false, previous: null };
  const previous = row.state as JobState;
  if (!params.expected.includes(previous) || !canTransition(previous, params.state)) return { ok: false, previous };
  await transition(ctx, { id: params.id, from: previous, intent: operatorIntent(params), serverId: null }, ctx.events);
  return { ok: true, previous };
}

/** Appends log lines of jobs that exist in one statement; lines of unknown jobs are dropped (the job expired meanwhile). */
export async function appendLogs(ctx: WriteContext, entries: readonly NewLogRecord[]): Promise<void> {
  await ctx.db.run(
    `INSERT INTO ${ctx.s}.logs (job_id, attempt, level, message, at)
     SELECT u.job_id, u.attempt, u.level, u.message, u.at
     FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS u(job_id, attempt, level, message, at, ord)
     WHERE EXISTS (SELECT 1 FROM ${ctx.s}.jobs j WHERE j.id = u.job_id) ORDER BY u.ord`,
    [
      entries.map((e) => e.jobId),
      entries.map((e) => e.attempt),
      entries.map((e) => e.level),
      entries.map((e) => e.message),
      entries.map((e) => new Date(e.at).getTime()),
    ],
  );
}

/** Sets one job parameter; false when the job does not exist. */
export async function setParameter(ctx: WriteContext, params: { id: string; key: string; value: Json }): Promise<boolean> {
  const [row] = await ctx.db.run(`SELECT parameters FROM ${ctx.s}.jobs WHERE id = $1 FOR UPDATE`, [params.id]);
  if (row === undefined) return false;
  let parameters: Record<string, Json>;
  try {
    parameters = JSON.parse(row.parameters as string) as Record<string, Json>;
  } catch (error) {
    throw new StorageError(`PostgreSQL storage: job ${params.id} has unreadable parameters (column "parameters" holds invalid JSON); not overwriting them.`, {
      retryable: false,
      cause: error,
    });
  }
  parameters[params.key] = params.value;
  await ctx.db.run(`UPDATE ${ctx.s}.jobs SET parameters = $1 WHERE id = $2`, [JSON.stringify(parameters), params.id]);
  return true;
}

/** Sets when a job is removed: `ttlMs` after now if it is finished in an expiring state, or never. */
export async function setExpiration(ctx: WriteContext, params: { id: string; ttlMs: number | null }): Promise<boolean> {
  const rows =
    params.ttlMs === null
      ? await ctx.db.run(`UPDATE ${ctx.s}.jobs SET retention_ms = NULL, expires_at = NULL WHERE id = $1 RETURNING id`, [params.id])
      : await ctx.db.run(
          `UPDATE ${ctx.s}.jobs SET retention_ms = $1, expires_at = CASE WHEN state IN ('succeeded', 'deleted') THEN $2::bigint ELSE NULL END
           WHERE id = $3 RETURNING id`,
          [params.ttlMs, ctx.now + params.ttlMs, params.id],
        );
  return rows.length > 0;
}
