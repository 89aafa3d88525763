import { afterEach, describe, expect, it } from 'vitest';
import type { Spool } from '@spool/core';
import { StorageError } from '@spool/core';
import { MAX_JOBS_PER_SCRIPT } from '@spool/redis';

import type { ScriptName } from '../src/scripts/index.js';
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
 * A storage on a client that records the scripts it runs (by name) with the number of jobs each
 * carries, and fails the first call of one script (as a lost connection would).
 */
async function open(failFirst?: ScriptName) {
  const calls: Array<{ script: string; jobs: number }> = [];
  let failed = false;
  const { spool, storage } = hookedSpool('large-batch', async (name, argv, run) => {
    const script = name ?? '?';
    // The jobs travel as one JSON list of arrays: the first argument that opens with '[['.
    const json = argv.slice(5).find((a) => typeof a === 'string' && a.startsWith('[[')) as string | undefined;
    if (script === 'flowsCreate' || script === 'flowsStage') calls.push({ script, jobs: json === undefined ? 0 : (JSON.parse(json) as unknown[]).length });
    else if (script === 'flowsCreatePart') calls.push({ script, jobs: 0 });
    if (script === failFirst && !failed) {
      failed = true;
      throw new StorageError('connection lost', { retryable: true });
    }
    return run();
  }, cleanups);
  return { spool, storage, calls };
}

async function bigBatch(spool: Spool, count: number): Promise<string> {
  return spool.batch(async (b) => {
    for (let n = 0; n < count; n++) b.enqueue('bulk.job', { n }, BULK_JOB);
  });
}

describe.skipIf(!available)('large batches on Redis', () => {
  it('creates a 100,000-job batch in scripts of at most 1,000 jobs each, every job once', async () => {
    const { spool, calls } = await open();
    const batchId = await bigBatch(spool, 100_000);
    expect(Math.max(...calls.map((c) => c.jobs))).toBe(MAX_JOBS_PER_SCRIPT);
    // 99 parts sent ahead, the commit with the first part, then one script per part taken in.
    expect(calls.filter((c) => c.script === 'flowsStage')).toHaveLength(99);
    expect(calls.filter((c) => c.script === 'flowsCreate')).toHaveLength(1);
    expect(calls.reduce((sum, c) => sum + c.jobs, 0)).toBe(100_000);
    expect((await spool.stats()).states.enqueued).toBe(100_000);
    expect(await spool.batches.get(batchId)).toMatchObject({ total: 100_000, finished: 0, status: 'running' });
  }, 120_000);

  it('writes nothing when the commit fails after the later parts were sent ahead', async () => {
    const { spool, calls } = await open('flowsCreate');
    await expect(bigBatch(spool, 2_500)).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    expect(calls.map((c) => [c.script, c.jobs])).toEqual([
      ['flowsStage', 1000],
      ['flowsStage', 500],
      ['flowsCreate', 1000],
    ]);
    expect((await spool.stats()).states).toMatchObject({ enqueued: 0 });
    expect((await spool.batches.list({ limit: 10 })).batches).toEqual([]);
  });

  it("creates the committed parts in maintenance when the creator stops after the commit", async () => {
    const { spool, storage } = await open('flowsCreatePart');
    await expect(bigBatch(spool, 2_500)).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    // Committed: the batch counts every member, though only its first part exists yet.
    const [batch] = (await spool.batches.list({ limit: 1 })).batches;
    expect(batch).toMatchObject({ total: 2_500 });
    expect((await spool.stats()).states.enqueued).toBe(MAX_JOBS_PER_SCRIPT);
    await storage.scheduledPromoteDue({ limit: 100 });
    await storage.scheduledPromoteDue({ limit: 100 });
    expect((await spool.stats()).states.enqueued).toBe(2_500);
    expect((await storage.flows.batchJobs({ batchId: batch!.id, limit: 3_000 })).jobs).toHaveLength(2_500);
  });

  it('creates the waiting jobs of a large creation first, so that no parent can finish before its child exists', async () => {
    const { spool } = await open('flowsCreatePart');
    const creation = spool.batch(async (b) => {
      for (let n = 0; n < 1_500; n++) b.enqueue('bulk.job', { n }, BULK_JOB);
      b.then('bulk.job', { then: true }, BULK_JOB);
    });
    await expect(creation).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    // Only the commit's part exists: the continuation, enqueued last, is in it.
    expect((await spool.stats()).states).toMatchObject({ awaiting: 1, enqueued: MAX_JOBS_PER_SCRIPT - 1 });
  });
});
