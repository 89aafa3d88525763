import { describe, expect, it } from 'vitest';

import { StorageError } from '@spool/core';

import { translateError } from '../src/translate-error.js';

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
});
