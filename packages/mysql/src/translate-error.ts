import { SpoolError, StorageError } from '@spool/core';

// Server errors after which the same call may succeed later: the transaction lost a deadlock (1213)
// or waited too long for a lock (1205), too many connections (1040, 1203), the server shutting down
// (1053) or the connection killed (1927 MariaDB, 4031 MySQL 8: closed for inactivity), a read-only
// server during a failover (1290, 1836).
const RETRYABLE_ERRNOS = new Set([1213, 1205, 1040, 1203, 1053, 1927, 4031, 1290, 1836]);
// Socket- and protocol-level failures reported by Node or mysql2: the database is unreachable or went away.
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);
const RETRYABLE_MESSAGES = /connection is in closed state|Pool is closed|Can't add new command when connection is in closed state|connect ETIMEDOUT/i;

interface DriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  fatal?: unknown;
}

function fields(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : {};
}

/** The server's error number (1213, 1062, ...) of a driver error, if it has one. */
export function errorNumber(error: unknown): number | null {
  const { errno, sqlState } = fields(error);
  // Node's own errors carry a negative errno; only a server error has a SQLSTATE beside it.
  return typeof errno === 'number' && typeof sqlState === 'string' ? errno : null;
}

/** The SQLSTATE of a server error, if it has one. */
function sqlState(error: unknown): string | null {
  const state = fields(error).sqlState;
  return typeof state === 'string' ? state : null;
}

/**
 * Whether a driver error means the database was unreachable or the transaction lost a conflict
 * (worth retrying). A server's answer is decided by its number alone: its message may quote the
 * values sent, which must not make a refusal look like a lost connection.
 */
export function isRetryable(error: unknown): boolean {
  const errno = errorNumber(error);
  if (errno !== null) return RETRYABLE_ERRNOS.has(errno) || (sqlState(error)?.startsWith('08') ?? false);
  const code = fields(error).code;
  if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
  return error instanceof Error && RETRYABLE_MESSAGES.test(error.message);
}

/** Whether a driver error is a lost deadlock or lock wait: the whole transaction can simply run again. */
export function isConflict(error: unknown): boolean {
  const errno = errorNumber(error);
  return errno === 1213 || errno === 1205;
}

/** Whether a driver error is a duplicate entry in the named unique index (1062 names the index it hit). */
export function isDuplicateIn(error: unknown, index: string): boolean {
  if (errorNumber(error) !== 1062 || !(error instanceof Error)) return false;
  // MariaDB names the index `for key 'jobs_unique_hold'`; MySQL 8 prefixes the table: `'spool_jobs.jobs_unique_hold'`.
  return new RegExp(`for key '(?:[^']*\\.)?${index}'`).test(error.message);
}

/**
 * Whether a driver error is the server refusing the values sent: SQLSTATE classes 22 (data: too
 * long, out of range, an invalid string) and 23 (integrity: a duplicate, a missing value), and a
 * packet larger than `max_allowed_packet` (1153, 1301). The same call is refused again.
 */
export function isRefusedValue(error: unknown): boolean {
  const errno = errorNumber(error);
  if (errno === null) return false;
  if (errno === 1153 || errno === 1301) return true;
  const state = sqlState(error);
  return state !== null && (state.startsWith('22') || state.startsWith('23'));
}

/**
 * Translates a driver error into a Spool error: Spool errors pass through; everything else becomes a
 * `StorageError`, retryable when the database was unreachable or the transaction lost a conflict,
 * and never when it refused a value. Core never sees a driver error.
 */
export function translateError(error: unknown, doing: string, phase: 'before-commit' | 'commit' = 'before-commit'): Error {
  if (error instanceof SpoolError) return error;
  const errno = errorNumber(error);
  const code = errno ?? fields(error).code ?? 'error';
  const detail = error instanceof Error ? error.message : String(error);
  if (isRefusedValue(error)) {
    return new StorageError(
      `MySQL storage: ${doing} failed because the database refused a value it was sent (${String(code)}: ${detail}). ` +
        'The same call would be refused again: do not retry it as it is.',
      { retryable: false, cause: error },
    );
  }
  if (isRetryable(error)) {
    return new StorageError(
      `MySQL storage: ${doing} failed because the database was unreachable, busy or interrupted (${String(code)}: ${detail}). ` +
        (phase === 'commit'
          ? 'The connection broke while committing, so whether the call took effect is unknown: check before retrying (an enqueue with a uniqueKey is safe to retry).'
          : 'The call wrote nothing that committed; retry it once the database is reachable.'),
      { retryable: true, cause: error },
    );
  }
  return new StorageError(`MySQL storage: ${doing} failed (${String(code)}: ${detail}).`, { retryable: false, cause: error });
}
