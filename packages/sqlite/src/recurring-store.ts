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

import { createJobs } from './jobs-create.js';
import { toDate } from './job-row.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { WriteContext } from './write-context.js';

interface RecurringRow {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  queue: string;
  priority: number;
  max_attempts: number;
  timeout_ms: number | null;
  retention_ms: number | null;
  misfire: MisfirePolicy;
  paused: number;
  next_run_at: number | null;
  last_run_at: number | null;
  last_job_id: string | null;
  created_at: number;
  updated_at: number;
  args: string;
  settings: string | null;
  runs: number;
}

const UPSERT_SQL = `INSERT INTO spool_recurring
  (id, name, cron, timezone, queue, priority, max_attempts, timeout_ms, retention_ms, misfire, paused, next_run_at, created_at, updated_at, args, settings)
VALUES (@id, @name, @cron, @timezone, @queue, @priority, @maxAttempts, @timeoutMs, @retentionMs, @misfire, @paused, @nextRunAt, @now, @now, @args, @settings)
ON CONFLICT (id) DO UPDATE SET
  name = excluded.name, cron = excluded.cron, timezone = excluded.timezone, queue = excluded.queue,
  priority = excluded.priority, max_attempts = excluded.max_attempts, timeout_ms = excluded.timeout_ms,
  retention_ms = excluded.retention_ms, misfire = excluded.misfire, paused = excluded.paused,
  next_run_at = excluded.next_run_at, updated_at = excluded.updated_at, args = excluded.args, settings = excluded.settings`;

/** Creates or replaces a recurring job, keeping its creation time and last run. */
export function upsertRecurring(ctx: WriteContext, r: RecurringUpsert): void {
  ctx.conn.stmt(UPSERT_SQL).run({
    id: r.id,
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    queue: r.queue,
    priority: r.priority,
    maxAttempts: r.maxAttempts,
    timeoutMs: r.timeoutMs,
    retentionMs: r.retentionMs,
    misfire: r.misfire,
    paused: r.paused ? 1 : 0,
    nextRunAt: r.nextRunAt === null ? null : r.nextRunAt.getTime(),
    now: ctx.now,
    args: JSON.stringify(r.args),
    settings: encodeRecurringSettings(r.settings),
  });
}

/** One recurring job, or null. */
export function getRecurring(conn: SqliteConnection, id: string): RecurringRecord | null {
  const row = conn.stmt('SELECT * FROM spool_recurring WHERE id = ?').get(id) as RecurringRow | undefined;
  return row === undefined ? null : decodeRecurring(row);
}

/** Recurring jobs by id, after `afterId`. */
export function listRecurring(conn: SqliteConnection, params: { limit: number; afterId?: string }): RecurringRecord[] {
  const rows =
    params.afterId === undefined
      ? conn.stmt('SELECT * FROM spool_recurring ORDER BY id LIMIT ?').all(params.limit)
      : conn.stmt('SELECT * FROM spool_recurring WHERE id > ? ORDER BY id LIMIT ?').all(params.afterId, params.limit);
  return (rows as RecurringRow[]).map(decodeRecurring);
}

/** Recurring jobs that are due (not paused, next run at or before `now`), earliest first, with `now`. */
export function dueRecurring(conn: SqliteConnection, now: number, limit: number): RecurringDueResult {
  const rows = conn
    .stmt('SELECT * FROM spool_recurring WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT ?')
    .all(now, limit) as RecurringRow[];
  return { now: new Date(now), records: rows.map(decodeRecurring) };
}

/** Pauses or resumes a recurring job, setting its next run; false when it does not exist. */
export function pauseRecurring(ctx: WriteContext, params: { id: string; paused: boolean; nextRunAt: Date | null }): boolean {
  const nextRunAt = params.nextRunAt === null ? null : params.nextRunAt.getTime();
  const info = ctx.conn
    .stmt('UPDATE spool_recurring SET paused = ?, next_run_at = ?, updated_at = ? WHERE id = ?')
    .run(params.paused ? 1 : 0, nextRunAt, ctx.now, params.id);
  return info.changes > 0;
}

/**
 * Fires a recurring job: creates its jobs and moves its schedule in one transaction. With an
 * occurrence, only while the stored next run is still the expected one: of several servers that read
 * the same due record, exactly one fires it.
 */
export function fireRecurring(ctx: WriteContext, params: RecurringFireParams): RecurringFireResult {
  const row = ctx.conn.stmt('SELECT next_run_at, last_job_id FROM spool_recurring WHERE id = ?').get(params.id) as
    | { next_run_at: number | null; last_job_id: string | null }
    | undefined;
  if (row === undefined) return { fired: false, jobIds: [], refused: [] };
  if (params.occurrence && row.next_run_at !== params.occurrence.expected.getTime()) return { fired: false, jobIds: [], refused: [] };
  // Occurrences that hold a job already are left out here; the unique index refuses any that slip by.
  const refused: Date[] = [];
  const taken = new Set<number>();
  const creating = params.jobs.filter(({ occurrence }) => {
    if (occurrence === null) return true;
    const at = occurrence.getTime();
    if (taken.has(at) || ctx.conn.stmt('SELECT 1 FROM spool_jobs WHERE recurring_id = ? AND occurrence_at = ?').get(params.id, at) !== undefined) {
      refused.push(new Date(at));
      return false;
    }
    taken.add(at);
    return true;
  });
  // A firing is not refused by a full bounded queue: a schedule cannot wait for room.
  const jobs = createJobs(
    ctx,
    creating.map(({ job }) => ({ ...job, recurringId: params.id })),
    null,
    false,
  );
  creating.forEach(({ occurrence }, i) => {
    if (occurrence !== null) ctx.conn.stmt('UPDATE spool_jobs SET occurrence_at = ? WHERE id = ?').run(occurrence.getTime(), jobs[i]!.id);
  });
  const nextRunAt = params.occurrence ? (params.occurrence.next === null ? null : params.occurrence.next.getTime()) : row.next_run_at;
  ctx.conn
    .stmt('UPDATE spool_recurring SET next_run_at = ?, last_run_at = ?, last_job_id = ?, updated_at = ?, runs = runs + ? WHERE id = ?')
    .run(nextRunAt, ctx.now, jobs.at(-1)?.id ?? row.last_job_id, ctx.now, creating.filter((j) => j.occurrence !== null).length, params.id);
  appendHistory(ctx, params, new Set(jobs.map((j) => j.id)));
  return { fired: true, jobIds: jobs.map((j) => j.id), refused };
}

const HISTORY_INSERT_SQL = `INSERT INTO spool_recurring_history (recurring_id, at, event, occurrence_at, from_at, job_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`;
// The entries older than the latest RECURRING_HISTORY_LIMIT: both reads walk the (recurring_id, seq) index.
const HISTORY_TRIM_SQL = `DELETE FROM spool_recurring_history WHERE recurring_id = ? AND seq <= (
  SELECT seq FROM spool_recurring_history WHERE recurring_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`;

/** Appends a firing's history entries (those it writes) and trims the record's history to its limit. */
function appendHistory(ctx: WriteContext, params: RecurringFireParams, created: ReadonlySet<string>): void {
  const entries = recurringHistoryToWrite(params, created);
  if (entries.length === 0) return;
  const insert = ctx.conn.stmt(HISTORY_INSERT_SQL);
  for (const e of entries) {
    insert.run(params.id, ctx.now, e.event, e.occurrence?.getTime() ?? null, e.from?.getTime() ?? null, e.jobId, e.reason);
  }
  ctx.conn.stmt(HISTORY_TRIM_SQL).run(params.id, params.id, RECURRING_HISTORY_LIMIT);
}

interface HistoryRow {
  at: number;
  event: RecurringEvent;
  occurrence_at: number | null;
  from_at: number | null;
  job_id: string | null;
  reason: string;
}

/** The latest history entries of a recurring job, newest first. */
export function recurringHistory(conn: SqliteConnection, params: { id: string; limit: number }): RecurringHistoryRecord[] {
  if (params.limit <= 0) return [];
  const rows = conn
    .stmt('SELECT at, event, occurrence_at, from_at, job_id, reason FROM spool_recurring_history WHERE recurring_id = ? ORDER BY seq DESC LIMIT ?')
    .all(params.id, params.limit) as HistoryRow[];
  return rows.map((r) => ({ at: new Date(r.at), event: r.event, occurrence: toDate(r.occurrence_at), from: toDate(r.from_at), jobId: r.job_id, reason: r.reason }));
}

/** Removes a recurring job and its history; false when it did not exist. */
export function removeRecurring(ctx: WriteContext, id: string): boolean {
  ctx.conn.stmt('DELETE FROM spool_recurring_history WHERE recurring_id = ?').run(id);
  return ctx.conn.stmt('DELETE FROM spool_recurring WHERE id = ?').run(id).changes > 0;
}

function decodeRecurring(row: RecurringRow): RecurringRecord {
  let args: Json;
  try {
    args = JSON.parse(row.args) as Json;
  } catch (error) {
    // Loud on purpose: firing the template with made-up arguments would run jobs with wrong input.
    throw new StorageError(
      `SQLite storage: recurring job "${row.id}" has unreadable arguments (column "args" holds invalid JSON). Update it with addOrUpdate or remove it.`,
      { retryable: false, cause: error },
    );
  }
  return {
    id: row.id,
    name: row.name,
    args,
    cron: row.cron,
    timezone: row.timezone,
    queue: row.queue,
    priority: row.priority,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    retentionMs: row.retention_ms,
    misfire: row.misfire,
    settings: decodeRecurringSettings(row.settings),
    paused: row.paused === 1,
    nextRunAt: toDate(row.next_run_at),
    runs: row.runs,
    lastRunAt: toDate(row.last_run_at),
    lastJobId: row.last_job_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
