import { SpoolError, StorageError } from '@spool/core';

// SQLSTATE classes and codes after which the same call may succeed later: connection failures (08),
// the server shutting down, starting up or terminating the backend (57P01-57P03), too many
// connections, and the transaction conflicts PostgreSQL resolves by aborting one side.
const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01', '55P03']);
// Socket-level failures reported by Node or node-postgres: the database is unreachable or went away.
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const RETRYABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|terminating connection/i;
// A SQLSTATE: five digits or capital letters, the first two its class.
const SQLSTATE = /^[0-9A-Z]{5}$/;
// SQLSTATE classes that refuse the values sent: data exceptions (22: a NUL in text, a bad escape in
// jsonb, a value out of range), integrity violations (23) and program limits (54: too long, too
// many). The same call sends the same values and is refused again.
const REFUSED_VALUE_CLASSES = new Set(['22', '23', '54']);

/** The SQLSTATE or Node error code of a driver error, if it has one. */
export function errorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/**
 * Whether a driver error means the database was unreachable or the transaction lost a conflict (worth
 * retrying). An answer of the database (a SQLSTATE) is decided by its code alone: its message may
 * quote the values sent, which must not make a refusal look like a lost connection.
 */
export function isRetryable(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== null && RETRYABLE_NODE_CODES.has(code)) return true;
  if (code !== null && SQLSTATE.test(code)) return code.startsWith('08') || RETRYABLE_SQLSTATES.has(code);
  return error instanceof Error && RETRYABLE_MESSAGES.test(error.message);
}

/** Whether a driver error is the database refusing the values sent (SQLSTATE class 22, 23 or 54). */
export function isRefusedValue(error: unknown): boolean {
  const code = errorCode(error);
  return code !== null && SQLSTATE.test(code) && REFUSED_VALUE_CLASSES.has(code.slice(0, 2));
}

/** Whether a driver error is a deadlock or serialization failure: the whole transaction can simply run again. */
export function isConflict(error: unknown): boolean {
  const code = errorCode(error);
  return code === '40001' || code === '40P01';
}

/**
 * Translates a driver error into a Spool error: Spool errors pass through; everything else becomes a
 * `StorageError`, retryable when the database was unreachable, restarting, or aborted a conflicting
 * transaction, and never when it refused a value. Core never sees a driver error.
 */
export function translateError(error: unknown, doing: string, phase: 'before-commit' | 'commit' = 'before-commit'): Error {
  if (error instanceof SpoolError) return error;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (isRetryable(error)) {
    return new StorageError(
      `PostgreSQL storage: ${doing} failed because the database was unreachable or interrupted (${code ?? 'connection'}: ${detail}). ` +
        (phase === 'commit'
          ? 'The connection broke while committing, so whether the call took effect is unknown: check before retrying (an enqueue with a uniqueKey is safe to retry).'
          : 'The call wrote nothing that committed; retry it once PostgreSQL is reachable.'),
      { retryable: true, cause: error },
    );
  }
  if (isRefusedValue(error)) {
    return new StorageError(
      `PostgreSQL storage: ${doing} failed because PostgreSQL refused a value it was sent (${code}: ${detail}). ` +
        'The same call would be refused again: do not retry it as it is.',
      { retryable: false, cause: error },
    );
  }
  return new StorageError(`PostgreSQL storage: ${doing} failed (${code ?? 'error'}: ${detail}).`, { retryable: false, cause: error });
}
