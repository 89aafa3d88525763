import type { BackoffSpec, ContinuationOn, ErrorRecord, FetchedJob, JobRecord, JobState, Json } from '@spool/core';

import type { Row } from './executor.js';

/** The columns of a full job read. */
export const JOB_SELECT = `id, state, queue, name, priority, attempt, max_attempts, rescues, lease_token, lease_expires_at,
  server_id, run_at, created_at, updated_at, started_at, finished_at, expires_at, timeout_ms, retention_ms, unique_key,
  parent_id, continue_on, recurring_id, progress, backoff, error, result, parameters, args, dead_lettered_at`;

/**
 * Decodes a row into a job record. Never throws: a JSON column that cannot be parsed is left empty
 * and named in `decodeError`, so the server fails that one job instead of the whole fetch.
 */
export function decodeJob(r: Row): JobRecord {
  const problems: string[] = [];
  const parse = <T>(column: string, text: unknown, fallback: T): T => {
    if (text === null || text === undefined) return fallback;
    try {
      return JSON.parse(text as string) as T;
    } catch (error) {
      problems.push(`column "${column}" holds invalid JSON (${error instanceof Error ? error.message : String(error)})`);
      return fallback;
    }
  };
  const job: JobRecord = {
    id: r.id as string,
    name: r.name as string,
    args: parse<Json>('args', r.args, null),
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
    backoff: parse<BackoffSpec | null>('backoff', r.backoff, null),
    uniqueKey: r.unique_key as string | null,
    parentId: r.parent_id as string | null,
    continueOn: r.continue_on as ContinuationOn | null,
    recurringId: r.recurring_id as string | null,
    serverId: r.server_id as string | null,
    leaseExpiresAt: toDate(r.lease_expires_at),
    progress: toNumber(r.progress),
    result: parse<Json>('result', r.result, null),
    error: parse<ErrorRecord | null>('error', r.error, null),
    deadLetteredAt: toDate(r.dead_lettered_at),
    // Most jobs have no parameters: skip the parser for the common empty object.
    parameters: r.parameters === '{}' ? {} : parse<Record<string, Json>>('parameters', r.parameters, {}),
  };
  if (problems.length > 0) job.decodeError = problems.join('; ');
  return job;
}

/** Decodes a row that holds a lease (a fetch or claim result). */
export function decodeFetched(r: Row): FetchedJob {
  const job = decodeJob(r) as FetchedJob;
  job.leaseToken = r.lease_token as string;
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

/** A numeric column (a decimal string for sums) as a number, or null. */
export function toNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A millisecond column as a Date, or null. */
export function toDate(ms: unknown): Date | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms));
}
