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

import type { JobValues } from './job-row.js';
import { COL, JOB_SELECT, decodeJob, jsonOrNull } from './job-row.js';
import { transition } from './job-transition.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { WriteContext } from './write-context.js';

/** The WHERE terms and values of a dead-letter filter; every term implies the partial indexes' condition. */
function filterTerms(filter: DeadLetterFilter): { where: string[]; values: Record<string, unknown> } {
  const where = ['dead_lettered_at IS NOT NULL'];
  const values: Record<string, unknown> = {};
  if (filter.name !== undefined) {
    where.push('name = @name');
    values.name = filter.name;
  }
  if (filter.errorName !== undefined) {
    where.push('dead_letter_error = @errorName');
    values.errorName = filter.errorName;
  }
  if (filter.message !== undefined) {
    // instr is case-sensitive, as the filter is on every storage; the message is read from the
    // error's JSON of dead letters only.
    where.push("instr(coalesce(json_extract(error, '$.message'), ''), @message) > 0");
    values.message = filter.message;
  }
  if (filter.from !== undefined) {
    where.push('dead_lettered_at >= @from');
    values.from = filter.from.getTime();
  }
  if (filter.to !== undefined) {
    where.push('dead_lettered_at <= @to');
    values.to = filter.to.getTime();
  }
  return { where, values };
}

/** Dead letters matching the filter, newest first, through the index of dead letters. */
export async function listDeadLetters(conn: SqliteConnection, params: DeadLettersListParams): Promise<DeadLettersListResult> {
  const { where, values } = filterTerms(params);
  const after = decodeCursor(params.cursor);
  if (after !== null) {
    where.push('id < @after');
    values.after = after;
  }
  values.limit = params.limit + 1;
  const sql = `SELECT ${JOB_SELECT} FROM spool_jobs INDEXED BY spool_jobs_dead_letters WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
  const rows = (await conn.attempt('listing dead letters', () => conn.raw(sql).all(values))) as JobValues[];
  const page = rows.slice(0, params.limit);
  const nextCursor = rows.length > params.limit && page.length > 0 ? encodeCursor(page.at(-1)![COL.id] as string) : null;
  return { jobs: page.map(decodeJob), nextCursor };
}

/** The dead letters counted by (job name, error name), read from the groups index alone. */
export async function deadLetterGroups(conn: SqliteConnection, params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
  const byName = params.name !== undefined ? 'AND name = @name' : '';
  const sql = `SELECT name, coalesce(dead_letter_error, '') AS errorName, count(*) AS count, max(dead_lettered_at) AS lastAt
FROM spool_jobs INDEXED BY spool_jobs_dead_letter_groups WHERE dead_lettered_at IS NOT NULL ${byName}
GROUP BY name, dead_letter_error ORDER BY count DESC, name, errorName LIMIT @limit`;
  const values: Record<string, unknown> = { limit: params.limit, ...(params.name !== undefined ? { name: params.name } : {}) };
  const rows = (await conn.attempt('counting dead letters', () => conn.stmt(sql).all(values))) as Array<{ name: string; errorName: string; count: number; lastAt: number }>;
  return rows.map((row) => ({ name: row.name, errorName: row.errorName, count: row.count, lastAt: new Date(row.lastAt) }));
}

/**
 * Redrives a batch in the caller's write transaction (BEGIN IMMEDIATE: no other writer can move a
 * job between the read of its facts and the write), each as core's `decideRedrive` says.
 */
export function redriveDeadLetters(ctx: WriteContext, params: DeadLettersRedriveParams): DeadLettersRedriveResult {
  const read = ctx.conn.stmt('SELECT state, dead_lettered_at, args, error FROM spool_jobs WHERE id = ?');
  const writeArgs = ctx.conn.stmt('UPDATE spool_jobs SET args = ? WHERE id = ?');
  const results = params.redrives.map((redrive) => {
    const row = read.get(redrive.id) as { state: JobState; dead_lettered_at: number | null; args: string; error: string | null } | undefined;
    if (row === undefined) return { id: redrive.id, ok: false, previous: null };
    const decision = decideRedrive({ job: redriveFactsOfRow(row), ...(redrive.args !== undefined ? { args: redrive.args } : {}), reason: params.reason });
    if (!decision.ok) return { id: redrive.id, ok: false, previous: row.state };
    if (!transition(ctx, { id: redrive.id, from: row.state, intent: decision.intent, serverId: null }, ctx.events)) {
      return { id: redrive.id, ok: false, previous: row.state };
    }
    if (decision.args !== 'keep') writeArgs.run(jsonOrNull(decision.args.set), redrive.id);
    return { id: redrive.id, ok: true, previous: row.state };
  });
  return { results };
}
