import type { BackoffSpec, ContinuationOn, ErrorRecord, FetchedJob, JobRecord, JobState, Json } from '@spool/core';

import type { Row } from './executor.js';

/** The columns of a full job read (every column of `jobs` but the queue position). */
export const JOB_SELECT = `id, state, queue, name, priority, attempt, max_attempts, rescues, lease_token, lease_expires_at,
  server_id, run_at, created_at, updated_at, started_at, finished_at, expires_at, timeout_ms, retention_ms, unique_key,
  parent_id, continue_on, recurring_id, progress, backoff, error, result, parameters, args, dead_lettered_at`;

/** Problems met by {@link parseJson} during the current (synchronous) decode. */
let problems: string[] | null = null;

/** Parses a JSON column; a value that cannot be parsed gives `fallback` and is noted in {@link problems}. */
function parseJson<T>(column: string, text: unknown, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text as string) as T;
  } catch (error) {
    (problems ??= []).push(`column "${column}" holds invalid JSON (${error instanceof Error ? error.message : String(error)})`);
    return fallback;
  }
}

/** Ends a decode: names the columns that could not be parsed, if any. */
function noteProblems(job: JobRecord): void {
  if (problems === null) return;
  job.decodeError = problems.join('; ');
  problems = null;
}

/** Parameters as stored; most jobs have none: the common empty object skips the parser. */
function parseParameters(text: unknown): Record<string, Json> {
  return text === '{}' ? {} : parseJson<Record<string, Json>>('parameters', text, {});
}

/**
 * Decodes a row into a job record. Never throws: a JSON column that cannot be parsed is left empty
 * and named in `decodeError`, so the server fails that one job instead of the whole fetch.
 */
export function decodeJob(r: Row): JobRecord {
  const job: JobRecord = {
    id: r.id as string,
    name: r.name as string,
    args: parseJson<Json>('args', r.args, null),
    queue: r.queue as string,
    priority: r.priority as number,
    state: r.state as JobState,
    attempt: r.attempt as number,
    maxAttempts: r.max_attempts as number,
    rescues: r.rescues as number,
    runAt: toDate(r.run_at),
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
    startedAt: toDate(r.started_at),
    finishedAt: toDate(r.finished_at),
    expiresAt: toDate(r.expires_at),
    timeoutMs: toNumber(r.timeout_ms),
    retentionMs: toNumber(r.retention_ms),
    backoff: parseJson<BackoffSpec | null>('backoff', r.backoff, null),
    uniqueKey: r.unique_key as string | null,
    parentId: r.parent_id as string | null,
    continueOn: r.continue_on as ContinuationOn | null,
    recurringId: r.recurring_id as string | null,
    serverId: r.server_id as string | null,
    leaseExpiresAt: toDate(r.lease_expires_at),
    progress: toNumber(r.progress),
    result: parseJson<Json>('result', r.result, null),
    error: parseJson<ErrorRecord | null>('error', r.error, null),
    deadLetteredAt: toDate(r.dead_lettered_at),
    parameters: parseParameters(r.parameters),
  };
  noteProblems(job);
  return job;
}

/** Decodes a row that holds a lease (a fetch or claim result). */
export function decodeFetched(r: Row): FetchedJob {
  const job = decodeJob(r) as FetchedJob;
  job.leaseToken = r.lease_token as string;
  return job;
}

/**
 * The columns a claim returns, in this order, for {@link decodeClaimed}: what the claim did not
 * decide itself. (State, server, lease and times are the claim's own: no need to send them back.)
 * `started_at` is the claim's time, which is also the job's update time and the lease's start.
 */
export const CLAIMED_SELECT = `id, name, args, queue, priority, attempt, max_attempts, rescues, run_at, created_at, started_at,
  finished_at, expires_at, timeout_ms, retention_ms, backoff, unique_key, parent_id, continue_on, recurring_id, progress,
  result, error, parameters`;

/** What every job of one claim shares. */
export interface ClaimLease {
  serverId: string;
  leaseToken: string;
  leaseMs: number;
}

/** Decodes a claimed row ({@link CLAIMED_SELECT}, as an array) into the same record as {@link decodeFetched}. */
export function decodeClaimed(r: unknown[], lease: ClaimLease): FetchedJob {
  const startedAt = Number(r[10]);
  const job: FetchedJob = {
    id: r[0] as string,
    name: r[1] as string,
    args: parseJson<Json>('args', r[2], null),
    queue: r[3] as string,
    priority: r[4] as number,
    state: 'processing',
    attempt: r[5] as number,
    maxAttempts: r[6] as number,
    rescues: r[7] as number,
    runAt: toDate(r[8]),
    createdAt: new Date(Number(r[9])),
    updatedAt: new Date(startedAt),
    startedAt: new Date(startedAt),
    finishedAt: toDate(r[11]),
    expiresAt: toDate(r[12]),
    timeoutMs: toNumber(r[13]),
    retentionMs: toNumber(r[14]),
    backoff: parseJson<BackoffSpec | null>('backoff', r[15], null),
    uniqueKey: r[16] as string | null,
    parentId: r[17] as string | null,
    continueOn: r[18] as ContinuationOn | null,
    recurringId: r[19] as string | null,
    serverId: lease.serverId,
    leaseExpiresAt: new Date(startedAt + lease.leaseMs),
    progress: toNumber(r[20]),
    result: parseJson<Json>('result', r[21], null),
    error: parseJson<ErrorRecord | null>('error', r[22], null),
    // A claimed job was enqueued: it is no dead letter.
    deadLetteredAt: null,
    parameters: parseParameters(r[23]),
    leaseToken: lease.leaseToken,
  };
  noteProblems(job);
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

/** A bigint or numeric column (a string from the driver) as a number, or null. */
export function toNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A millisecond column as a Date, or null. */
export function toDate(ms: unknown): Date | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms));
}
