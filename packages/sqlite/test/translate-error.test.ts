import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

import { StorageError } from '@spool/core';

import { translateError } from '../src/translate-error.js';

/** The error a statement raises on a fresh in-memory database. */
function refusalOf(sql: string): unknown {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    db.prepare(sql).run();
    return null;
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
}

describe('translating SQLite driver errors', () => {
  it.each([
    ['a value over the length limit', 'SELECT zeroblob(2000000000)', 'SQLITE_TOOBIG'],
    ['a NOT NULL constraint', 'INSERT INTO t (v) VALUES (NULL)', 'SQLITE_CONSTRAINT_NOTNULL'],
    ['a primary key given twice', "INSERT INTO t (id, v) VALUES (1, 'a'), (1, 'b')", 'SQLITE_CONSTRAINT_PRIMARYKEY'],
  ])('marks %s as a refused value that is not retryable', (_label, sql, code) => {
    const cause = refusalOf(sql);
    expect(cause).toMatchObject({ code });
    const error = translateError(cause, 'completing jobs');
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: false, cause });
    expect(error.message).toContain('refused again');
  });

  it('keeps a busy or locked database retryable', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      expect(translateError(new Database.SqliteError('database is locked', code), 'completing jobs')).toMatchObject({ retryable: true });
    }
  });

  it('marks other driver errors as not retryable', () => {
    expect(translateError(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR'), 'x')).toMatchObject({ retryable: false });
    expect(translateError(new RangeError('Too many parameter values were provided'), 'x')).toMatchObject({ retryable: false });
  });
});
