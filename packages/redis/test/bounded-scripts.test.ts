import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '@spool/core';
import { MAX_JOBS_PER_SCRIPT } from '@spool/redis';

import { redisAvailable } from './redis-test-env.js';
import { hookedSpool } from './script-hooks.js';

/** A job no process here defines: its options are stated. */
const BULK_JOB = { queue: 'default', attempts: 10, timeout: null } as const;

const available = await redisAvailable();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/**
 * A storage on a client that reports the size of every job-creation script it runs, and can fail the
 * n-th one (as a lost connection would).
 */
async function open(failCall?: number) {
  const sizes: number[] = [];
  const { spool } = hookedSpool('bounded', async (_name, argv, run) => {
    // EVALSHA sha numkeys ...keys args: the creation script's one argument is the JSON list of jobs.
    const json = argv.find((a) => typeof a === 'string' && a.startsWith('[['));
    if (typeof json === 'string') {
      sizes.push((JSON.parse(json) as unknown[]).length);
      if (sizes.length === failCall) throw new StorageError('connection lost', { retryable: true });
    }
    return run();
  }, cleanups);
  return { spool, sizes };
}

describe.skipIf(!available)('bounded scripts on Redis', () => {
  it('creates a large enqueueMany in scripts of at most 1,000 jobs, every job once and in order', async () => {
    const { spool, sizes } = await open();
    const ids = await spool.enqueueMany('bulk.job', Array.from({ length: 2500 }, (_, n) => ({ n })), BULK_JOB);
    expect(sizes).toEqual([MAX_JOBS_PER_SCRIPT, MAX_JOBS_PER_SCRIPT, 500]);
    expect(new Set(ids).size).toBe(2500);
    expect((await spool.stats()).states.enqueued).toBe(2500);
    expect((await spool.getJob(ids[1234]!))?.args).toEqual({ n: 1234 });
  });

  it('says which jobs were created when a later part fails, and created exactly those', async () => {
    const { spool, sizes } = await open(2);
    const error = await spool.enqueueMany('bulk.job', Array.from({ length: 2500 }, (_, n) => ({ n })), BULK_JOB).then(
      () => null,
      (e: unknown) => e,
    );
    expect(sizes).toEqual([MAX_JOBS_PER_SCRIPT, MAX_JOBS_PER_SCRIPT]);
    expect(error).toMatchObject({ code: 'ERR_ENQUEUE_INCOMPLETE', retryable: true });
    const created = (error as { created: string[] }).created;
    expect(created).toHaveLength(MAX_JOBS_PER_SCRIPT);
    expect((await spool.stats()).states.enqueued).toBe(MAX_JOBS_PER_SCRIPT);
    expect((await spool.getJob(created[999]!))?.args).toEqual({ n: 999 });
  });
});
