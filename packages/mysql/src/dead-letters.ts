import type {
  DeadLetterFilter,
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
  JobState,
} from '@spool/core';
import { decideRedrive } from '@spool/core';
import { redriveFactsOfRow } from '@spool/core/storage-kit';
import { decodeCursor, encodeCursor } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';
import { JOB_SELECT, decodeJob, jsonOrNull } from './job-row.js';
import { transition } from './job-transition.js';
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
 * are locked in id order when their facts are read, so two redrives of overlapping batches wait for
 * each other instead of deadlocking, and the second finds the jobs already moved.
 */
export async function redriveDeadLetters(ctx: WriteContext, params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult> {
  const ids = params.redrives.map((r) => r.id);
  const rows = await ctx.db.rows(`SELECT id, state, dead_lettered_at, args, error FROM ${ctx.t.jobs} WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id FOR UPDATE`, ids);
  const byId = new Map(rows.map((row) => [row.id as string, row]));
  const results: DeadLettersRedriveResult['results'] = [];
  for (const redrive of params.redrives) {
    const row = byId.get(redrive.id);
    if (row === undefined) {
      results.push({ id: redrive.id, ok: false, previous: null });
      continue;
    }
    const state = row.state as JobState;
    const decision = decideRedrive({ job: redriveFactsOfRow(row), ...(redrive.args !== undefined ? { args: redrive.args } : {}), reason: params.reason });
    if (!decision.ok || !(await transition(ctx, { id: redrive.id, from: state, intent: decision.intent, serverId: null }, ctx.events))) {
      results.push({ id: redrive.id, ok: false, previous: state });
      continue;
    }
    // The row is left 'enqueued' by the transition; a later redrive of it in this batch is refused.
    row.state = 'enqueued';
    row.dead_lettered_at = null;
    if (decision.args !== 'keep') await ctx.db.rows(`UPDATE ${ctx.t.jobs} SET args = ? WHERE id = ?`, [jsonOrNull(decision.args.set), redrive.id]);
    results.push({ id: redrive.id, ok: true, previous: state });
  }
  return { results };
}
