import type {
  DeadLetterFilter,
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
} from '@spool/core';
import { decideStateChange } from '@spool/core';
import { planRedrives, redriveResults } from '@spool/core/storage-kit';
import { decodeCursor, encodeCursor } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';
import { JOB_SELECT, decodeJob, jsonOrNull } from './job-row.js';
import { TAIL_COLUMNS } from './history-tail.js';
import { transition } from './job-transition.js';
import type { ManyMove } from './job-transition-many.js';
import { transitionMany } from './job-transition-many.js';
import type { Tables } from './tables.js';
import type { WriteContext } from './write-context.js';

/** The WHERE terms of a dead-letter filter; `values` receives their values in order. */
function filterTerms(filter: DeadLetterFilter, values: unknown[]): string[] {
  // dead_letter_id is the id of a dead letter and NULL otherwise: its index lists dead letters only.
  const where = ['dead_letter_id IS NOT NULL'];
  if (filter.name !== undefined) {
    where.push('name = ?');
    values.push(filter.name);
  }
  if (filter.errorName !== undefined) {
    where.push('dead_letter_error = ?');
    values.push(filter.errorName);
  }
  if (filter.message !== undefined) {
    // Compared as bytes: case-sensitive, as on every storage, whatever collation JSON functions give.
    where.push("LOCATE(CAST(? AS BINARY), CAST(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(error, '$.message')), '') AS BINARY)) > 0");
    values.push(filter.message);
  }
  if (filter.from !== undefined) {
    where.push('dead_lettered_at >= ?');
    values.push(filter.from.getTime());
  }
  if (filter.to !== undefined) {
    where.push('dead_lettered_at <= ?');
    values.push(filter.to.getTime());
  }
  return where;
}

/** Dead letters matching the filter, newest first; read through the dead letters' indexes, never every job. */
export async function listDeadLetters(db: Executor, t: Tables, params: DeadLettersListParams): Promise<DeadLettersListResult> {
  const values: unknown[] = [];
  const where = filterTerms(params, values);
  const after = decodeCursor(params.cursor);
  if (after !== null) {
    where.push('dead_letter_id < ?');
    values.push(after);
  }
  values.push(params.limit + 1);
  const rows = await db.rows(`SELECT ${JOB_SELECT} FROM ${t.jobs} FORCE INDEX (jobs_dead_letters) WHERE ${where.join(' AND ')} ORDER BY dead_letter_id DESC LIMIT ?`, values);
  const page = rows.slice(0, params.limit);
  const nextCursor = rows.length > params.limit && page.length > 0 ? encodeCursor(page.at(-1)!.id as string) : null;
  return { jobs: page.map(decodeJob), nextCursor };
}

/** The dead letters counted by (job name, error name), from the groups index alone. */
export async function deadLetterGroups(db: Executor, t: Tables, params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
  const values: unknown[] = [];
  let byName = '';
  if (params.name !== undefined) {
    byName = 'AND name = ?';
    values.push(params.name);
  }
  values.push(params.limit);
  // The columns compare as bytes (the schema's binary collation): ties order by code point, as on every storage.
  const rows = await db.rows(
    `SELECT name, COALESCE(dead_letter_error, '') AS error_name, COUNT(*) AS count, MAX(dead_lettered_at) AS last_at
     FROM ${t.jobs} FORCE INDEX (jobs_dead_letter_groups) WHERE dead_lettered_at IS NOT NULL ${byName}
     GROUP BY name, dead_letter_error ORDER BY count DESC, name, error_name LIMIT ?`,
    values,
  );
  return rows.map((row) => ({ name: row.name as string, errorName: row.error_name as string, count: Number(row.count), lastAt: new Date(Number(row.last_at)) }));
}

/**
 * Redrives a batch in the caller's transaction, each as core's `decideRedrive` says. The batch's rows
 * are locked in id order when their facts are read (with what the one job's guard reads), so two
 * redrives of overlapping batches wait for each other instead of deadlocking, and the second finds
 * the jobs already moved. The jobs that belong to no batch or flow and hold no unique key are
 * written together (decision 50): one statement moves them, replacing edited arguments; history
 * entries and counters go with the commit as for every write. The others (a unique key whose
 * holder must be looked up, a batch's counters to move) take the one job's transition, and so do
 * all of them when `setBased` is false (the conformance suite compares the two).
 */
export async function redriveDeadLetters(ctx: WriteContext, params: DeadLettersRedriveParams, setBased = true): Promise<DeadLettersRedriveResult> {
  const ids = params.redrives.map((r) => r.id);
  const rows = await ctx.db.rows(
    `SELECT id, state, dead_lettered_at, args, error, queue, unique_key, held_gates, flow, batch_id, ${TAIL_COLUMNS}
     FROM ${ctx.t.jobs} WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id FOR UPDATE`,
    ids,
  );
  const byId = new Map(rows.map((row) => [row.id as string, row]));
  const plan = planRedrives(params, byId, (row) => setBased && row.unique_key === null && Number(row.flow) === 0);
  const together: ManyMove[] = plan.together.map(({ id, row, state, decision }) => ({
    id,
    row,
    change: decideStateChange({ from: state, ...decision.intent, now: ctx.now, serverId: null }),
    ...(decision.args !== 'keep' ? { args: decision.args } : {}),
  }));
  await transitionMany(ctx, together, ctx.events);
  const moved = new Set(together.map((m) => m.id));
  for (const { id, state, decision } of plan.alone) {
    if (!(await transition(ctx, { id, from: state, intent: decision.intent, serverId: null }, ctx.events))) continue;
    if (decision.args !== 'keep') await ctx.db.rows(`UPDATE ${ctx.t.jobs} SET args = ? WHERE id = ?`, [jsonOrNull(decision.args.set), id]);
    moved.add(id);
  }
  return { results: redriveResults(params, byId, moved) };
}
