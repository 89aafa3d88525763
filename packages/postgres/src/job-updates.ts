import type { JobChangeParams, JobChangeResult, JobSetStateParams, JobSetStateResult, JobState, Json, NewLogRecord } from '@spool/core';
import { StorageError, canTransition, decideJobChange, operatorIntent } from '@spool/core';

import { spillSql } from './history-tail.js';
import { jsonOrNull } from './job-row.js';
import { transition } from './job-transition.js';
import { inState } from './state-guard.js';
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

// A change of a waiting job, as core decides it. The row is locked (FOR UPDATE) when its facts are
// read, so no claim can take it between the decision and this write; the state guard stays as a
// second line. Row-held history entries are spilled first, so this change's entry comes after them.
const changeSql = (s: string): string => `WITH spilled AS (
  ${spillSql(s, 'ANY(ARRAY(SELECT id FROM ' + s + '.jobs WHERE id = $1 AND tail <> 0))')}
)
UPDATE ${s}.jobs SET
  updated_at = $3,
  run_at = CASE WHEN $4::boolean THEN $5::bigint ELSE run_at END,
  priority = CASE WHEN $6::boolean THEN $7::int ELSE priority END,
  queue = CASE WHEN $8::boolean THEN $9::text ELSE queue END,
  args = CASE WHEN $10::boolean THEN $11::text ELSE args END,
  enqueue_seq = CASE WHEN $12::boolean THEN nextval('${s}.enqueue_seq') ELSE enqueue_seq END,
  tail = 0,
  tail_reason = NULL,
  tail_server = NULL
WHERE id = $1 AND ${inState('state', '$2')}`;

/** Changes a job that has not started (due time, priority, queue, arguments), as core decides. */
export async function changeJob(ctx: WriteContext, params: JobChangeParams): Promise<JobChangeResult> {
  const [row] = await ctx.db.run(`SELECT state, run_at, priority, queue FROM ${ctx.s}.jobs WHERE id = $1 FOR UPDATE`, [params.id]);
  if (row === undefined) return { ok: false, previous: null };
  const state = row.state as JobState;
  const facts = { state, runAt: row.run_at === null ? null : Number(row.run_at), priority: Number(row.priority), queue: row.queue as string };
  const decision = decideJobChange({ job: facts, change: params.change, now: ctx.now, ...(params.cause ? { cause: params.cause } : {}) });
  if (!decision.ok) return { ok: false, previous: state, refused: decision.refused };
  const { write } = decision;
  await ctx.db.run(changeSql(ctx.s), [
    params.id,
    write.state,
    write.updatedAt,
    write.runAt !== 'keep',
    write.runAt === 'keep' ? null : write.runAt.set,
    write.priority !== 'keep',
    write.priority === 'keep' ? null : write.priority.set,
    write.queue !== 'keep',
    write.queue === 'keep' ? null : write.queue.set,
    write.args !== 'keep',
    write.args === 'keep' ? null : jsonOrNull(write.args.set),
    write.queuePosition === 'back',
  ]);
  if (write.queueCounts !== null) {
    ctx.add(`queue:${write.queueCounts.down}`, -1);
    ctx.add(`queue:${write.queueCounts.up}`, 1);
  }
  const { history } = write;
  ctx.history(params.id, history.state, history.reason, history.data, history.serverId);
  if (write.state === 'enqueued') ctx.events.enqueued(write.queue === 'keep' ? facts.queue : write.queue.set);
  if (write.state === 'scheduled' && write.runAt !== 'keep') ctx.events.scheduled(write.runAt.set);
  return { ok: true, previous: state };
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
