import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { StorageError } from '@spool/core';

import { isRetryable, translateError } from '../src/translate-error.js';

import { POSTGRES_URL, postgresAvailable } from './helpers.js';

const available = await postgresAvailable();

/** A database error with a SQLSTATE, as node-postgres reports it. */
function databaseError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

/** A socket failure as node-postgres reports it. */
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('translating PostgreSQL driver errors', () => {
  it('says nothing was written when the connection broke before the commit', () => {
    const error = translateError(reset, 'enqueueing jobs');
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toContain('wrote nothing that committed');
  });

  it('says the outcome is unknown when the connection broke during the commit', () => {
    const error = translateError(reset, 'enqueueing jobs', 'commit');
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toContain('whether the call took effect is unknown');
    expect(error.message).not.toContain('wrote nothing');
  });

  it('keeps a non-retryable error non-retryable', () => {
    const error = translateError(Object.assign(new Error('syntax error'), { code: '42601' }), 'reading a job', 'commit');
    expect(error).toMatchObject({ retryable: false });
  });

  it.each([
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22P05', 'unsupported Unicode escape sequence'],
    ['22P02', 'invalid input syntax for type json'],
    ['22001', 'value too long for type character varying(10)'],
    ['23505', 'duplicate key value violates unique constraint "jobs_pkey"'],
    ['23502', 'null value in column "reason" violates not-null constraint'],
    ['54000', 'total size of jsonb array elements exceeds the maximum of 268435455 bytes'],
  ])('marks a refused value (%s) as not retryable, saying the same call fails again', (code, message) => {
    const error = translateError(databaseError(code, message), 'completing jobs');
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: false });
    expect(error.message).toContain(code);
    expect(error.message).toContain('refused again');
  });

  it('decides a database error by its SQLSTATE, even when its message quotes words of a lost connection', () => {
    // A data exception may quote the value sent; a value that reads "Connection terminated" is still refused.
    const quoted = databaseError('22P02', 'invalid input syntax for type integer: "Connection terminated"');
    expect(isRetryable(quoted)).toBe(false);
    expect(translateError(quoted, 'x')).toMatchObject({ retryable: false });
  });

  it.each([
    ['40001', 'could not serialize access due to concurrent update'],
    ['40P01', 'deadlock detected'],
    ['57P01', 'terminating connection due to administrator command'],
    ['08006', 'connection failure'],
    ['53300', 'sorry, too many clients already'],
  ])('keeps conflicts and lost connections (%s) retryable', (code, message) => {
    expect(translateError(databaseError(code, message), 'completing jobs')).toMatchObject({ retryable: true });
  });

  it('keeps a connection that node-postgres reports without a code retryable', () => {
    expect(translateError(new Error('Connection terminated unexpectedly'), 'completing jobs')).toMatchObject({ retryable: true });
  });

  it.skipIf(!available)('marks the real refusal of a NUL in text as not retryable', async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      for (const [text, value] of [
        ['SELECT $1::text', 'a\u0000b'],
        ['SELECT $1::jsonb', '"a\\u0000b"'],
      ] as const) {
        const refusal = await client.query(text, [value]).then(
          () => null,
          (error: unknown) => error,
        );
        expect(refusal).not.toBeNull();
        expect(translateError(refusal, 'completing jobs')).toMatchObject({ code: 'ERR_STORAGE', retryable: false });
      }
    } finally {
      await client.end();
    }
  });
});
