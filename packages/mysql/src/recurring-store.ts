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
import { toDate, toNumber } from './job-row.js';
import { createJobs } from './jobs-create.js';
import type { Tables } from './tables.js';
import type { WriteContext } from './write-context.js';

const UPSERT_SQL = (recurring: string): string => `INSERT INTO ${recurring}
  (id, name, cron, timezone, queue, priority, max_attempts, timeout_ms, retention_ms, misfire, paused, next_run_at, created_at, updated_at, args, settings)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  name = VALUES(name), cron = VALUES(cron), timezone = VALUES(timezone), queue = VALUES(queue),
  priority = VALUES(priority), max_attempts = VALUES(max_attempts), timeout_ms = VALUES(timeout_ms),
  retention_ms = VALUES(retention_ms), misfire = VALUES(misfire), paused = VALUES(paused),
  next_run_at = VALUES(next_run_at), updated_at = VALUES(updated_at), args = VALUES(args), settings = VALUES(settings)`;

/** Creates or replaces a recurring job, keeping its creation time, last run and run count. */
export async function upsertRecurring(ctx: WriteContext, r: RecurringUpsert): Promise<void> {
  await ctx.db.exec(UPSERT_SQL(ctx.t.recurring), [
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
    r.paused ? 1 : 0,
    r.nextRunAt === null ? null : r.nextRunAt.getTime(),
    ctx.now,
    ctx.now,
    JSON.stringify(r.args),
    encodeRecurringSettings(r.settings),
  ]);
}

/** One recurring job, or null. */
export async function getRecurring(db: Executor, t: Tables, id: string): Promise<RecurringRecord | null> {
  const [row] = await db.rows(`SELECT * FROM ${t.recurring} WHERE id = ?`, [id]);
  return row === undefined ? null : decodeRecurring(row);
}

/** Recurring jobs by id, after `afterId`. */
export async function listRecurring(db: Executor, t: Tables, params: { limit: number; afterId?: string }): Promise<RecurringRecord[]> {
  const rows =
    params.afterId === undefined
      ? await db.rows(`SELECT * FROM ${t.recurring} ORDER BY id LIMIT ?`, [params.limit])
      : await db.rows(`SELECT * FROM ${t.recurring} WHERE id > ? ORDER BY id LIMIT ?`, [params.afterId, params.limit]);
  return rows.map(decodeRecurring);
}

/** Recurring jobs that are due (not paused, next run at or before `now`), earliest first, with `now`. */
export async function dueRecurring(db: Executor, t: Tables, now: number, limit: number): Promise<RecurringDueResult> {
  const rows = await db.rows(`SELECT * FROM ${t.recurring} WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT ?`, [now, limit]);
  return { now: new Date(now), records: rows.map(decodeRecurring) };
}

/** Pauses or resumes a recurring job, setting its next run; false when it does not exist. */
export async function pauseRecurring(ctx: WriteContext, params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean> {
  const { affectedRows } = await ctx.db.exec(`UPDATE ${ctx.t.recurring} SET paused = ?, next_run_at = ?, updated_at = ? WHERE id = ?`, [
    params.paused ? 1 : 0,
    params.nextRunAt === null ? null : params.nextRunAt.getTime(),
    ctx.now,
    params.id,
  ]);
  return affectedRows > 0;
}

/**
 * Fires a recurring job: creates its jobs and moves its schedule in one transaction. The record is
 * locked first and, with an occurrence, fired only while its next run is still the expected one: of
 * several servers that read the same due record, exactly one fires it.
 */
export async function fireRecurring(ctx: WriteContext, params: RecurringFireParams): Promise<RecurringFireResult> {
  const [row] = await ctx.db.rows(`SELECT next_run_at, last_job_id FROM ${ctx.t.recurring} WHERE id = ? FOR UPDATE`, [params.id]);
  if (row === undefined) return { fired: false, jobIds: [], refused: [] };
  const current = toNumber(row.next_run_at);
  if (params.occurrence && current !== params.occurrence.expected.getTime()) return { fired: false, jobIds: [], refused: [] };
  // The record's row lock orders firings of one recurring job; occurrences that hold a job already
  // are left out here, and the unique index refuses any that slip by.
  const wanted = params.jobs.filter((j) => j.occurrence !== null).map((j) => j.occurrence!.getTime());
  const held = new Set<number>();
  if (wanted.length > 0) {
    const rows = await ctx.db.rows(`SELECT occurrence_at FROM ${ctx.t.jobs} WHERE recurring_id = ? AND occurrence_at IN (?)`, [params.id, wanted]);
    for (const r of rows) held.add(Number(r.occurrence_at));
  }
  const refused: Date[] = [];
  const occurrences = new Map<string, number>();
  const creating = params.jobs.filter(({ job, occurrence }) => {
    if (occurrence === null) return true;
    if (held.has(occurrence.getTime())) {
      refused.push(new Date(occurrence.getTime()));
      return false;
    }
    held.add(occurrence.getTime());
    occurrences.set(job.id, occurrence.getTime());
    return true;
  });
  const jobs = creating.length === 0 ? [] : await createJobs(ctx, creating.map(({ job }) => ({ ...job, recurringId: params.id })), occurrences);
  // A job that another active job's unique key kept from being created holds no occurrence.
  const runs = creating.filter(({ job, occurrence }, i) => occurrence !== null && jobs[i]!.created && jobs[i]!.id === job.id).length;
  const nextRunAt = params.occurrence ? (params.occurrence.next === null ? null : params.occurrence.next.getTime()) : current;
  await ctx.db.exec(`UPDATE ${ctx.t.recurring} SET next_run_at = ?, last_run_at = ?, last_job_id = ?, updated_at = ?, runs = runs + ? WHERE id = ?`, [
    nextRunAt,
    ctx.now,
    jobs.at(-1)?.id ?? (row.last_job_id as string | null),
    ctx.now,
    runs,
    params.id,
  ]);
  await appendHistory(ctx, params, new Set(jobs.map((j) => j.id)));
  return { fired: true, jobIds: jobs.map((j) => j.id), refused };
}

/**
 * Appends a firing's history entries (those it writes) in one statement, then trims the record's
 * history to its limit; the record's row lock, taken by the firing, orders them. MySQL refuses a
 * DELETE whose subquery reads the table it deletes from, so the oldest entry kept is read first.
 */
async function appendHistory(ctx: WriteContext, params: RecurringFireParams, created: ReadonlySet<string>): Promise<void> {
  const entries = recurringHistoryToWrite(params, created);
  if (entries.length === 0) return;
  const rows = entries.map((e) => [params.id, ctx.now, e.event, e.occurrence?.getTime() ?? null, e.from?.getTime() ?? null, e.jobId, e.reason]);
  await ctx.db.exec(`INSERT INTO ${ctx.t.recurringHistory} (recurring_id, at, event, occurrence_at, from_at, job_id, reason) VALUES ?`, [rows]);
  const [edge] = await ctx.db.rows(`SELECT seq FROM ${ctx.t.recurringHistory} WHERE recurring_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?`, [
    params.id,
    RECURRING_HISTORY_LIMIT,
  ]);
  if (edge !== undefined) await ctx.db.exec(`DELETE FROM ${ctx.t.recurringHistory} WHERE recurring_id = ? AND seq <= ?`, [params.id, edge.seq]);
}

/** The latest history entries of a recurring job, newest first. */
export async function recurringHistory(db: Executor, t: Tables, params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]> {
  if (params.limit <= 0) return [];
  const rows = await db.rows(`SELECT at, event, occurrence_at, from_at, job_id, reason FROM ${t.recurringHistory} WHERE recurring_id = ? ORDER BY seq DESC LIMIT ?`, [
    params.id,
    params.limit,
  ]);
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
  await ctx.db.exec(`DELETE FROM ${ctx.t.recurringHistory} WHERE recurring_id = ?`, [id]);
  const { affectedRows } = await ctx.db.exec(`DELETE FROM ${ctx.t.recurring} WHERE id = ?`, [id]);
  return affectedRows > 0;
}

function decodeRecurring(row: Row): RecurringRecord {
  let args: Json;
  try {
    args = JSON.parse(row.args as string) as Json;
  } catch (error) {
    // Loud on purpose: firing the template with made-up arguments would run jobs with wrong input.
    throw new StorageError(
      `MySQL storage: recurring job "${String(row.id)}" has unreadable arguments (column "args" holds invalid JSON). Update it with addOrUpdate or remove it.`,
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
    paused: Number(row.paused) === 1,
    nextRunAt: toDate(row.next_run_at),
    runs: Number(row.runs),
    lastRunAt: toDate(row.last_run_at),
    lastJobId: row.last_job_id as string | null,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}
