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
import { transition } from './job-transition.js';
import { transitionMany } from './job-transition-many.js';
import type { WriteContext } from './write-context.js';

/** The WHERE terms of a dead-letter filter, with their values bound in order. */
function filterTerms(filter: DeadLetterFilter, values: unknown[]): string[] {
  const bind = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  // Every term comes with the partial indexes' own condition, so the planner may use them.
  const where = ['dead_lettered_at IS NOT NULL'];
  if (filter.name !== undefined) where.push(`name = ${bind(filter.name)}`);
  if (filter.errorName !== undefined) where.push(`dead_letter_error = ${bind(filter.errorName)}`);
  // Case-sensitive, as on every storage; the message is read from the error of dead letters only.
  if (filter.message !== undefined) where.push(`strpos(coalesce(error::jsonb ->> 'message', ''), ${bind(filter.message)}) > 0`);
  if (filter.from !== undefined) where.push(`dead_lettered_at >= ${bind(filter.from.getTime())}`);
  if (filter.to !== undefined) where.push(`dead_lettered_at <= ${bind(filter.to.getTime())}`);
  return where;
}

/** Dead letters matching the filter, newest first, through the index of dead letters. */
export async function listDeadLetters(db: Executor, s: string, params: DeadLettersListParams): Promise<DeadLettersListResult> {
  const values: unknown[] = [];
  const where = filterTerms(params, values);
  const after = decodeCursor(params.cursor);
  if (after !== null) {
    values.push(after);
    where.push(`id < $${values.length}`);
  }
  values.push(params.limit + 1);
  const rows = await db.run(`SELECT ${JOB_SELECT} FROM ${s}.jobs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${values.length}`, values);
  const page = rows.slice(0, params.limit);
  const nextCursor = rows.length > params.limit && page.length > 0 ? encodeCursor(page.at(-1)!.id as string) : null;
  return { jobs: page.map(decodeJob), nextCursor };
}

/** The dead letters counted by (job name, error name), from the groups index alone. */
export async function deadLetterGroups(db: Executor, s: string, params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
  const values: unknown[] = [params.limit];
  const byName = params.name !== undefined ? `AND name = $${values.push(params.name)}` : '';
  // COLLATE "C": groups of equal count are ordered by code point, as on every storage.
  const rows = await db.run(
    `SELECT name, coalesce(dead_letter_error, '') AS error_name, count(*)::bigint AS count, max(dead_lettered_at) AS last_at
     FROM ${s}.jobs WHERE dead_lettered_at IS NOT NULL ${byName}
     GROUP BY name, dead_letter_error ORDER BY count DESC, name COLLATE "C", coalesce(dead_letter_error, '') COLLATE "C" LIMIT $1`,
    values,
  );
  return rows.map((row) => ({ name: row.name as string, errorName: row.error_name as string, count: Number(row.count), lastAt: new Date(Number(row.last_at)) }));
}

/**
 * Redrives a batch in the caller's transaction, each as core's `decideRedrive` says. The batch's rows
 * are locked in id order when their facts are read, so two redrives of overlapping batches wait for
 * each other instead of deadlocking, and the second finds the jobs already moved. The jobs that
 * belong to no batch or flow and hold no unique key are written together (decision 50): one
 * statement moves them, guarded on the state read, replacing edited arguments; the history entries
 * and counters go with the commit as for every write. The others (a unique key whose holder must be
 * looked up, a batch's counters to move) take the one job's transition, and so do all of them when
 * `setBased` is false (the conformance suite compares the two).
 */
export async function redriveDeadLetters(ctx: WriteContext, params: DeadLettersRedriveParams, setBased = true): Promise<DeadLettersRedriveResult> {
  const ids = params.redrives.map((r) => r.id);
  const rows = await ctx.db.run(
    `SELECT id, state, dead_lettered_at, args, error, unique_key, flow FROM ${ctx.s}.jobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    [ids],
  );
  const byId = new Map(rows.map((row) => [row.id as string, row]));
  const plan = planRedrives(params, byId, (row) => setBased && row.unique_key === null && (row.flow as number) === 0);
  const moved = await transitionMany(
    ctx,
    plan.together.map(({ id, state, decision }) => ({
      id,
      change: decideStateChange({ from: state, ...decision.intent, now: ctx.now, serverId: null }),
      ...(decision.args !== 'keep' ? { args: decision.args } : {}),
    })),
    ctx.events,
  );
  for (const { id, row, state, decision } of plan.alone) {
    if (!(await transition(ctx, { id, from: state, intent: decision.intent, serverId: null, uniqueKey: row.unique_key as string | null }, ctx.events))) continue;
    if (decision.args !== 'keep') await ctx.db.run(`UPDATE ${ctx.s}.jobs SET args = $2 WHERE id = $1`, [id, jsonOrNull(decision.args.set)]);
    moved.add(id);
  }
  return { results: redriveResults(params, byId, moved) };
}
