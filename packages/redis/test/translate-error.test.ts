import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { JobNotFoundError, StorageError } from '@spool/core';

import { translateError } from '../src/translate-error.js';

import { REDIS_URL, redisAvailable } from './redis-test-env.js';

const available = await redisAvailable();

describe('translateError', () => {
  it("turns a script's missing-parent reply into ERR_JOB_NOT_FOUND", () => {
    const error = translateError(new Error('SPOOL_JOB_NOT_FOUND 0190a1b2-0000-7000-8000-000000000001'), 'creating jobs');
    expect(error).toBeInstanceOf(JobNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_JOB_NOT_FOUND', jobId: '0190a1b2-0000-7000-8000-000000000001' });
  });

  it('marks a dropped or refused connection as retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
    for (const cause of [refused, new Error('Connection is closed.'), Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' })]) {
      const error = translateError(cause, 'fetching jobs');
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: true, cause });
      expect(error.message).toContain('fetching jobs');
    }
  });

  it('marks replies of a Redis that is loading, failing over or full as retryable', () => {
    for (const message of ['LOADING Redis is loading the dataset in memory', 'READONLY You can\'t write against a read only replica.', "OOM command not allowed when used memory > 'maxmemory'."]) {
      expect(translateError(new Error(message), 'creating jobs')).toMatchObject({ code: 'ERR_STORAGE', retryable: true });
    }
  });

  it('marks other errors as not retryable, and lets Spool errors through unchanged', () => {
    expect(translateError(new Error('ERR wrong number of arguments'), 'x')).toMatchObject({ code: 'ERR_STORAGE', retryable: false });
    const own = new JobNotFoundError('id');
    expect(translateError(own, 'x')).toBe(own);
  });

  it.skipIf(!available)("marks a script's refusal of its input as not retryable, whatever words its message quotes", async () => {
    const client = new Redis(REDIS_URL);
    try {
      const refusals = [
        // A script that cannot decode what it was given.
        client.eval('return cjson.decode(ARGV[1])', 0, '{"broken": '),
        // A reply whose text reads like a lost connection is still a reply.
        client.eval("return redis.error_reply('Connection is closed')", 0),
        client.eval("return redis.error_reply('ERR connect ECONNREFUSED in a quoted value')", 0),
      ];
      for (const refusal of refusals) {
        const cause = await refusal.then(
          () => null,
          (error: unknown) => error,
        );
        expect(cause).not.toBeNull();
        const error = translateError(cause, 'completing jobs');
        expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: false });
        expect(error.message).toContain('refused again');
      }
    } finally {
      client.disconnect();
    }
  });
});
