import { describe, expect, it } from 'vitest';

import { StorageError } from '@spool/core';

import { isConflict, isDuplicateIn, translateError } from '../src/translate-error.js';

/** A server error as mysql2 reports it. */
function serverError(errno: number, sqlState: string, message: string): Error {
  return Object.assign(new Error(message), { errno, sqlState, code: 'ER_TEST' });
}

describe('MySQL driver errors become StorageErrors', () => {
  it('retries a lost deadlock and a lock wait timeout inside the storage, and says so to callers', () => {
    for (const error of [serverError(1213, '40001', 'Deadlock found'), serverError(1205, 'HY000', 'Lock wait timeout exceeded')]) {
      expect(isConflict(error)).toBe(true);
      const translated = translateError(error, 'completing jobs') as StorageError;
      expect(translated).toBeInstanceOf(StorageError);
      expect(translated.retryable).toBe(true);
    }
  });

  it('calls a lost connection retryable and a refused value not, even when the value quotes a connection error', () => {
    const refused = serverError(1406, '22001', "Data too long for column 'queue': ECONNRESET");
    expect((translateError(refused, 'creating jobs') as StorageError).retryable).toBe(false);
    const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED', errno: -111 });
    expect((translateError(lost, 'creating jobs') as StorageError).retryable).toBe(true);
    expect(isConflict(lost)).toBe(false);
  });

  it('recognises a duplicate in one index by the names MariaDB and MySQL 8 give it', () => {
    expect(isDuplicateIn(serverError(1062, '23000', "Duplicate entry 'x' for key 'jobs_unique_hold'"), 'jobs_unique_hold')).toBe(true);
    expect(isDuplicateIn(serverError(1062, '23000', "Duplicate entry 'x' for key 'spool_jobs.jobs_unique_hold'"), 'jobs_unique_hold')).toBe(true);
    expect(isDuplicateIn(serverError(1062, '23000', "Duplicate entry 'x' for key 'PRIMARY'"), 'jobs_unique_hold')).toBe(false);
    expect((translateError(serverError(1062, '23000', "Duplicate entry 'x' for key 'PRIMARY'"), 'creating jobs') as StorageError).retryable).toBe(false);
  });
});
