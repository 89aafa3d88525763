import { SpoolError, StorageError } from '@spool/core';

/** The result codes SQLite uses when a lock is held elsewhere: the same call may succeed later. */
const RETRYABLE = /^SQLITE_(BUSY|LOCKED)/;
/** The result codes SQLite uses when it refuses a value sent (too big, a constraint, a wrong type or index): the same call fails again. */
const REFUSED_VALUE = /^SQLITE_(TOOBIG|CONSTRAINT|MISMATCH|RANGE)/;

/** The SQLite result code of a driver error (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, ...), if it has one. */
export function sqliteCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Whether an error means the database is locked by another connection (worth waiting and retrying). */
export function isBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && RETRYABLE.test(code);
}

/**
 * Translates a driver error into a Spool error: Spool errors pass through; SQLite errors become a
 * `StorageError`, retryable when the database was busy or locked, and never when SQLite refused a
 * value. Core never sees a driver error.
 */
export function translateError(error: unknown, doing: string): Error {
  if (error instanceof SpoolError) return error;
  const code = sqliteCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (code !== null && RETRYABLE.test(code)) {
    return new StorageError(
      `SQLite storage: ${doing} failed because the database stayed locked by another connection (${code}: ${detail}). ` +
        'Retry later, or raise `busyTimeout` if writers in other processes hold the lock for long.',
      { retryable: true, cause: error },
    );
  }
  if (code !== null && REFUSED_VALUE.test(code)) {
    return new StorageError(
      `SQLite storage: ${doing} failed because SQLite refused a value it was sent (${code}: ${detail}). ` +
        'The same call would be refused again: do not retry it as it is.',
      { retryable: false, cause: error },
    );
  }
  return new StorageError(`SQLite storage: ${doing} failed (${code ?? 'error'}: ${detail}).`, { retryable: false, cause: error });
}
