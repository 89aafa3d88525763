import type { BackoffSpec, ContinuationOn, ErrorRecord, FetchedJob, JobRecord, JobState, Json } from '@spool/core';

/** Every column of `spool_jobs`, in table order: the insert statements and `SELECT`s share it. */
export const JOB_COLUMNS = [
  'id',
  'state',
  'queue',
  'priority',
  'enqueue_seq',
  'name',
  'attempt',
  'max_attempts',
  'rescues',
  'lease_token',
  'lease_expires_at',
  'server_id',
  'run_at',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'expires_at',
  'timeout_ms',
  'retention_ms',
  'unique_key',
  'parent_id',
  'continue_on',
  'recurring_id',
  'progress',
  'backoff',
  'error',
  'result',
  'parameters',
  'args',
  'dead_lettered_at',
] as const;

/** The column list of a full job read: `SELECT ${JOB_SELECT} FROM spool_jobs ...`. */
export const JOB_SELECT = JOB_COLUMNS.join(', ');

/**
 * A full job row as better-sqlite3 returns it in raw mode: values in {@link JOB_COLUMNS} order.
 * Raw rows skip building an object per row, which costs more than the read itself for wide rows.
 */
export type JobValues = unknown[];

/** Position of each column in a {@link JobValues} row. */
export const COL = Object.freeze(Object.fromEntries(JOB_COLUMNS.map((name, index) => [name, index]))) as Readonly<
  Record<(typeof JOB_COLUMNS)[number], number>
>;

/**
 * Decodes a raw row into a job record. Never throws: a JSON column that cannot be parsed is left empty
 * and named in `decodeError`, so the server fails that one job instead of the whole fetch.
 */
export function decodeJob(v: JobValues): JobRecord {
  let problems: string[] | null = null;
  const parse = <T>(column: string, text: unknown, fallback: T): T => {
    if (text === null) return fallback;
    try {
      return JSON.parse(text as string) as T;
    } catch (error) {
      (problems ??= []).push(`column "${column}" holds invalid JSON (${error instanceof Error ? error.message : String(error)})`);
      return fallback;
    }
  };
  const parameters = v[COL.parameters];
  const job: JobRecord = {
    id: v[COL.id] as string,
    name: v[COL.name] as string,
    args: parse<Json>('args', v[COL.args], null),
    queue: v[COL.queue] as string,
    priority: v[COL.priority] as number,
    state: v[COL.state] as JobState,
    attempt: v[COL.attempt] as number,
    maxAttempts: v[COL.max_attempts] as number,
    rescues: v[COL.rescues] as number,
    runAt: toDate(v[COL.run_at]),
    createdAt: new Date(v[COL.created_at] as number),
    updatedAt: new Date(v[COL.updated_at] as number),
    startedAt: toDate(v[COL.started_at]),
    finishedAt: toDate(v[COL.finished_at]),
    expiresAt: toDate(v[COL.expires_at]),
    timeoutMs: v[COL.timeout_ms] as number | null,
    retentionMs: v[COL.retention_ms] as number | null,
    backoff: parse<BackoffSpec | null>('backoff', v[COL.backoff], null),
    uniqueKey: v[COL.unique_key] as string | null,
    parentId: v[COL.parent_id] as string | null,
    continueOn: v[COL.continue_on] as ContinuationOn | null,
    recurringId: v[COL.recurring_id] as string | null,
    serverId: v[COL.server_id] as string | null,
    leaseExpiresAt: toDate(v[COL.lease_expires_at]),
    progress: v[COL.progress] as number | null,
    result: parse<Json>('result', v[COL.result], null),
    error: parse<ErrorRecord | null>('error', v[COL.error], null),
    deadLetteredAt: toDate(v[COL.dead_lettered_at]),
    // Most jobs have no parameters: skip the parser for the common empty object.
    parameters: parameters === '{}' ? {} : parse<Record<string, Json>>('parameters', parameters, {}),
  };
  if (problems !== null) job.decodeError = (problems as string[]).join('; ');
  return job;
}

/** Decodes a raw row that holds a lease (a fetch or claim result). */
export function decodeFetched(v: JobValues): FetchedJob {
  const job = decodeJob(v) as FetchedJob;
  job.leaseToken = v[COL.lease_token] as string;
  return job;
}

/** JSON text for a column that may be null; `null` values are stored as SQL NULL. */
export function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** JSON text of a parameters object, skipping the serializer for the common empty one. */
export function parametersJson(parameters: Record<string, Json>): string {
  for (const _key in parameters) return JSON.stringify(parameters);
  return '{}';
}

/** A date column's value as a Date, or null. */
export function toDate(ms: unknown): Date | null {
  return ms === null ? null : new Date(ms as number);
}
