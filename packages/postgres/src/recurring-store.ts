import type {
  Json,
  MisfirePolicy,
  RecurringDueResult,
  RecurringEvent,
  RecurringFireParams,
  RecurringFireResult,
  RecurringHistoryRecord,
  RecurringRecord,
  RecurringUpsert,
} from '@spool/core';
import { RECURRING_HISTORY_LIMIT, StorageError, recurringHistoryToWrite } from '@spool/core';
import { decodeRecurringSettings, encodeRecurringSettings } from '@spool/core/storage-kit';

import type { Executor, Row } from './executor.js';
import { createJobs } from './jobs-create.js';
import { toDate, toNumber } from './job-row.js';
import type { WriteContext } from './write-context.js';

const UPSERT_SQL = (s: string): string => `INSERT INTO ${s}.recurring
  (id, name, cron, timezone, queue, priority, max_attempts, timeout_ms, retention_ms, misfire, paused, next_run_at, created_at, updated_at, args, settings)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15)
ON CONFLICT (id) DO UPDATE SET
  name = excluded.name, cron = excluded.cron, timezone = excluded.timezone, queue = excluded.queue,
  priority = excluded.priority, max_attempts = excluded.max_attempts, timeout_ms = excluded.timeout_ms,
  retention_ms = excluded.retention_ms, misfire = excluded.misfire, paused = excluded.paused,
  next_run_at = excluded.next_run_at, updated_at = excluded.updated_at, args = excluded.args, settings = excluded.settings`;

/** Creates or replaces a recurring job, keeping its creation time and last run. */
export async function upsertRecurring(ctx: WriteContext, r: RecurringUpsert): Promise<void> {
  await ctx.db.run(UPSERT_SQL(ctx.s), [
    r.id,
    r.name,
    r.cron,
    r.timezone,
    r.queue,
    r.priority,
    r.maxAttempts,
    r.timeoutMs,
    r.retentionMs,
    r.misfire,
    r.paused,
    r.nextRunAt === null ? null : r.nextRunAt.getTime(),
    ctx.now,
    JSON.stringify(r.args),
    encodeRecurringSettings(r.settings),
  ]);
}

/** One recurring job, or null. */
export async function getRecurring(db: Executor, s: string, id: string): Promise<RecurringRecord | null> {
  const [row] = await db.run(`SELECT * FROM ${s}.recurring WHERE id = $1`, [id]);
  return row === undefined ? null : decodeRecurring(row);
}

/** Recurring jobs by id, after `afterId`. */
export async function listRecurring(db: Executor, s: string, params: { limit: number; afterId?: string }): Promise<RecurringRecord[]> {
  const rows = await db.run(`SELECT * FROM ${s}.recurring WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`, [params.afterId ?? null, params.limit]);
  return rows.map(decodeRecurring);
}

/**
 * Recurring jobs that are due (not paused, next run at or before now), earliest first, with the
 * time they were judged by: the database's clock (or the injected one), in the same statement, so
 * that every server judges by one clock.
 */
export async function dueRecurring(db: Executor, s: string, now: number | null, limit: number): Promise<RecurringDueResult> {
  // The left join keeps one row (of nulls) when nothing is due, so the time always comes back.
  const rows = await db.run(
    `WITH t AS (SELECT coalesce($1::bigint, (extract(epoch from now()) * 1000)::bigint) AS storage_now)
     SELECT t.storage_now, r.* FROM t LEFT JOIN LATERAL (
       SELECT * FROM ${s}.recurring WHERE NOT paused AND next_run_at IS NOT NULL AND next_run_at <= t.storage_now
       ORDER BY next_run_at LIMIT $2
     ) r ON true`,
    [now, limit],
  );
  return { now: new Date(Number(rows[0]!.storage_now)), records: rows.filter((row) => row.id !== null).map(decodeRecurring) };
}

/** Pauses or resumes a recurring job, setting its next run; false when it does not exist. */
export async function pauseRecurring(ctx: WriteContext, params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean> {
  const rows = await ctx.db.run(`UPDATE ${ctx.s}.recurring SET paused = $1, next_run_at = $2, updated_at = $3 WHERE id = $4 RETURNING id`, [
    params.paused,
    params.nextRunAt === null ? null : params.nextRunAt.getTime(),
    ctx.now,
    params.id,
  ]);
  return rows.length > 0;
}

/**
 * Fires a recurring job: creates its jobs and moves its schedule in one transaction. The record is
 * locked first and, with an occurrence, fired only while its next run is still the expected one: of
 * several servers that read the same due record, exactly one fires it.
 */
export async function fireRecurring(ctx: WriteContext, params: RecurringFireParams): Promise<RecurringFireResult> {
  const [row] = await ctx.db.run(`SELECT next_run_at, last_job_id FROM ${ctx.s}.recurring WHERE id = $1 FOR UPDATE`, [params.id]);
  if (row === undefined) return { fired: false, jobIds: [], refused: [] };
  const current = toNumber(row.next_run_at);
  if (params.occurrence && current !== params.occurrence.expected.getTime()) return { fired: false, jobIds: [], refused: [] };
  // The record's row lock orders firings of one recurring job; occurrences that hold a job already
  // are left out here, and the unique index refuses any that slip by.
  const wanted = params.jobs.filter((j) => j.occurrence !== null).map((j) => j.occurrence!.getTime());
  const held = new Set<number>();
  if (wanted.length > 0) {
    const rows = await ctx.db.run(`SELECT occurrence_at FROM ${ctx.s}.jobs WHERE recurring_id = $1 AND occurrence_at = ANY($2::bigint[])`, [params.id, wanted]);
    for (const r of rows) held.add(Number(r.occurrence_at));
  }
  const refused: Date[] = [];
  const creating = params.jobs.filter(({ occurrence }) => {
    if (occurrence === null) return true;
    if (held.has(occurrence.getTime())) {
      refused.push(new Date(occurrence.getTime()));
      return false;
    }
    held.add(occurrence.getTime());
    return true;
  });
  const jobs = creating.length === 0 ? [] : await createJobs(ctx, creating.map(({ job }) => ({ ...job, recurringId: params.id })), false);
  const marks = creating.flatMap(({ occurrence }, i) => (occurrence === null ? [] : [{ id: jobs[i]!.id, at: occurrence.getTime() }]));
  if (marks.length > 0) {
    await ctx.db.run(`UPDATE ${ctx.s}.jobs j SET occurrence_at = m.at FROM unnest($1::text[], $2::bigint[]) AS m(id, at) WHERE j.id = m.id`, [
      marks.map((m) => m.id),
      marks.map((m) => m.at),
    ]);
  }
  const nextRunAt = params.occurrence ? (params.occurrence.next === null ? null : params.occurrence.next.getTime()) : current;
  await ctx.db.run(`UPDATE ${ctx.s}.recurring SET next_run_at = $1, last_run_at = $2, last_job_id = $3, updated_at = $2, runs = runs + $5 WHERE id = $4`, [
    nextRunAt,
    ctx.now,
    jobs.at(-1)?.id ?? (row.last_job_id as string | null),
    params.id,
    marks.length,
  ]);
  await appendHistory(ctx, params, new Set(jobs.map((j) => j.id)));
  return { fired: true, jobIds: jobs.map((j) => j.id), refused };
}

/**
 * Appends a firing's history entries (those it writes) in one statement, then trims the record's
 * history to its limit; the record's row lock, taken by the firing, orders them.
 */
async function appendHistory(ctx: WriteContext, params: RecurringFireParams, created: ReadonlySet<string>): Promise<void> {
  const entries = recurringHistoryToWrite(params, created);
  if (entries.length === 0) return;
  const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
  await ctx.db.run(
    `INSERT INTO ${ctx.s}.recurring_history (recurring_id, at, event, occurrence_at, from_at, job_id, reason)
     SELECT $1, $2, e.event, e.occurrence_at, e.from_at, e.job_id, e.reason
     FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[]) WITH ORDINALITY AS e(event, occurrence_at, from_at, job_id, reason, n)
     ORDER BY e.n`,
    [params.id, ctx.now, entries.map((e) => e.event), entries.map((e) => ms(e.occurrence)), entries.map((e) => ms(e.from)), entries.map((e) => e.jobId), entries.map((e) => e.reason)],
  );
  await ctx.db.run(
    `DELETE FROM ${ctx.s}.recurring_history WHERE recurring_id = $1 AND seq <= (
       SELECT seq FROM ${ctx.s}.recurring_history WHERE recurring_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)`,
    [params.id, RECURRING_HISTORY_LIMIT],
  );
}

/** The latest history entries of a recurring job, newest first. */
export async function recurringHistory(db: Executor, s: string, params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]> {
  if (params.limit <= 0) return [];
  const rows = await db.run(
    `SELECT at, event, occurrence_at, from_at, job_id, reason FROM ${s}.recurring_history WHERE recurring_id = $1 ORDER BY seq DESC LIMIT $2`,
    [params.id, params.limit],
  );
  return rows.map((r) => ({
    at: new Date(Number(r.at)),
    event: r.event as RecurringEvent,
    occurrence: toDate(r.occurrence_at),
    from: toDate(r.from_at),
    jobId: r.job_id as string | null,
    reason: r.reason as string,
  }));
}

/** Removes a recurring job and its history; false when it did not exist. */
export async function removeRecurring(ctx: WriteContext, id: string): Promise<boolean> {
  await ctx.db.run(`DELETE FROM ${ctx.s}.recurring_history WHERE recurring_id = $1`, [id]);
  const rows = await ctx.db.run(`DELETE FROM ${ctx.s}.recurring WHERE id = $1 RETURNING id`, [id]);
  return rows.length > 0;
}

function decodeRecurring(row: Row): RecurringRecord {
  let args: Json;
  try {
    args = JSON.parse(row.args as string) as Json;
  } catch (error) {
    // Loud on purpose: firing the template with made-up arguments would run jobs with wrong input.
    throw new StorageError(
      `PostgreSQL storage: recurring job "${String(row.id)}" has unreadable arguments (column "args" holds invalid JSON). Update it with addOrUpdate or remove it.`,
      { retryable: false, cause: error },
    );
  }
  return {
    id: row.id as string,
    name: row.name as string,
    args,
    cron: row.cron as string,
    timezone: row.timezone as string,
    queue: row.queue as string,
    priority: row.priority as number,
    maxAttempts: row.max_attempts as number,
    timeoutMs: toNumber(row.timeout_ms),
    retentionMs: toNumber(row.retention_ms),
    misfire: row.misfire as MisfirePolicy,
    settings: decodeRecurringSettings(row.settings as string | null),
    paused: row.paused as boolean,
    nextRunAt: toDate(row.next_run_at),
    runs: Number(row.runs),
    lastRunAt: toDate(row.last_run_at),
    lastJobId: row.last_job_id as string | null,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}
