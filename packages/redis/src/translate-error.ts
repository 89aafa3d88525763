import { ReplyError } from 'ioredis';

import { BatchFinishedError, BatchNotFoundError, JobNotFoundError, QueueFullError, SpoolError, StorageError } from '@spool/core';

/** Error replies Redis gives while it cannot serve now but will soon (loading, failover, busy, full). */
const RETRYABLE_REPLY = /^(LOADING|BUSY|TRYAGAIN|READONLY|MASTERDOWN|CLUSTERDOWN|OOM|NOREPLICAS)\b/;
/** Socket errors of a connection that dropped or could not be made. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Whether an error is an answer of the Redis server (a script's error among them), not a failure to reach it. */
export function isReply(error: unknown): boolean {
  return error instanceof (ReplyError as new (message?: string) => Error);
}

/** Whether an ioredis error means the connection is down (the same call may succeed after it reconnects). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // A reply came over a working connection; its text may quote what a script was given.
  if (isReply(error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return error.name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable|connect E[A-Z]+/.test(error.message);
}

/**
 * Translates an ioredis error into a Spool error: Spool errors pass through; the storage scripts'
 * own error replies (`SPOOL_<CODE> <detail>`) become their typed errors; connection problems and
 * transient replies become a retryable `StorageError`. Core never sees a driver error.
 */
export function translateError(error: unknown, doing: string): Error {
  if (error instanceof SpoolError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const own = /SPOOL_([A-Z_]+) (\S*)/.exec(message);
  if (own?.[1] === 'JOB_NOT_FOUND') return new JobNotFoundError(own[2]!);
  if (own?.[1] === 'BATCH_NOT_FOUND') return new BatchNotFoundError(own[2]!);
  if (own?.[1] === 'BATCH_FINISHED') return new BatchFinishedError(own[2]!);
  if (own?.[1] === 'QUEUE_FULL') {
    // SPOOL_QUEUE_FULL <size> <bound> <adding> <queue>: the queue name last, as it may hold spaces.
    const full = /SPOOL_QUEUE_FULL (\d+) (\d+) (\d+) (.*)$/s.exec(message)!;
    return new QueueFullError(full[4]!, Number(full[1]), Number(full[2]), Number(full[3]));
  }
  if (own?.[1] === 'FLOW_STAGING_LOST') {
    return new StorageError(`Redis storage: ${doing} failed: the parts of the batch sent ahead were gone (expired or evicted) when it was to commit; nothing was created. Try again.`, {
      retryable: true,
      cause: error,
    });
  }
  if (own?.[1] === 'LAYOUT_NEWER') {
    return new StorageError(
      `Redis storage: ${doing} failed: the data under this prefix was written by a newer Spool (layout version ${own[2]}). ` +
        'Upgrade @spool/redis in this process, or use another prefix.',
      { retryable: false, cause: error },
    );
  }
  if (isConnectionError(error)) {
    return new StorageError(`Redis storage: ${doing} failed because the connection to Redis is down (${message}). It reconnects by itself; retry later.`, {
      retryable: true,
      cause: error,
    });
  }
  if (RETRYABLE_REPLY.test(message)) {
    return new StorageError(`Redis storage: ${doing} failed for now (${message}). Retry later.`, { retryable: true, cause: error });
  }
  if (isReply(error)) {
    return new StorageError(
      `Redis storage: ${doing} failed because Redis refused the call (${message}). The same call would be refused again: do not retry it as it is.`,
      { retryable: false, cause: error },
    );
  }
  return new StorageError(`Redis storage: ${doing} failed (${message}).`, { retryable: false, cause: error });
}
