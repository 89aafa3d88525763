import { afterEach, describe, expect, it } from 'vitest';
import type { FetchedJob, JobContext, JobsFetchParams } from '@spool/core';
import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { fastServer, waitFor, waitForState } from './helpers.js';

/** A memory storage that remembers the limit of every fetch. */
class CountingMemoryStorage extends MemoryStorage {
  readonly limits: number[] = [];

  override async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    const jobs = await super.jobsFetch(params);
    if (jobs.length > 0) this.limits.push(params.limit);
    return jobs;
  }
}

let spool: Spool;

afterEach(async () => {
  await spool?.close();
});

describe('claiming jobs ahead of free slots', () => {
  it('claims short jobs many at a time, beyond the free slots', async () => {
    const storage = new CountingMemoryStorage();
    const noop = defineJob('noop', () => undefined);
    spool = new Spool({ storage, jobs: [noop] });
    await spool.enqueueMany(noop, Array.from({ length: 500 }, () => null));
    await spool.startServer({ ...fastServer, concurrency: 2 });
    await waitFor(async () => (await spool.stats()).states.succeeded === 500, 'all jobs');
    // Default cap: 500 (more than 4 x concurrency here).
    expect(Math.max(...storage.limits)).toBeGreaterThan(2 + 8);
    expect(Math.max(...storage.limits)).toBeLessThanOrEqual(2 + 500);
  });

  it('never claims more ahead than the prefetch option allows', async () => {
    const storage = new CountingMemoryStorage();
    const noop = defineJob('noop', () => undefined);
    spool = new Spool({ storage, jobs: [noop] });
    await spool.enqueueMany(noop, Array.from({ length: 500 }, () => null));
    await spool.startServer({ ...fastServer, concurrency: 2, prefetch: 8 });
    await waitFor(async () => (await spool.stats()).states.succeeded === 500, 'all jobs');
    expect(Math.max(...storage.limits)).toBeGreaterThan(2);
    expect(Math.max(...storage.limits)).toBeLessThanOrEqual(2 + 8);
  });

  it('leaves long jobs in the queue for other servers', async () => {
    const slow = defineJob('slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
    });
    spool = new Spool({ storage: new MemoryStorage(), jobs: [slow] });
    const [first, second, third] = await spool.enqueueMany(slow, [null, null, null]);
    await spool.startServer({ ...fastServer, concurrency: 1 });
    await waitForState(spool, first!, 'succeeded');
    await waitForState(spool, second!, 'processing');
    expect((await spool.getJob(third!))!.state).toBe('enqueued');
  });

  it('hands jobs claimed ahead back, unstarted and with no attempt used, when the server stops', async () => {
    let release!: () => void;
    const blocker = defineJob('blocker', async (_args: null, ctx: JobContext) => {
      await new Promise<void>((resolve) => {
        release = resolve;
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    });
    const quick = defineJob('quick', () => undefined);
    spool = new Spool({ storage: new MemoryStorage(), jobs: [blocker, quick] });
    const server = await spool.startServer({ ...fastServer, concurrency: 1, shutdownTimeout: 50 });
    // Learn that quick jobs are quick, so that the server claims ahead.
    await spool.enqueueMany(quick, Array.from({ length: 20 }, () => null));
    await waitFor(async () => (await spool.stats()).states.succeeded === 20, 'the warm-up jobs');
    const blocking = await spool.enqueue(blocker, null);
    await waitForState(spool, blocking, 'processing');
    const waiting = await spool.enqueueMany(quick, Array.from({ length: 3 }, () => null));
    await waitFor(async () => (await spool.stats()).states.processing === 4, 'three jobs claimed ahead');
    await server.stop();
    release();
    for (const id of waiting) {
      const job = (await spool.getJob(id))!;
      expect(job.state).toBe('enqueued');
      expect(job.attempt).toBe(0);
      expect(job.history.at(-1)!.reason).toBe('Returned unstarted: the server is shutting down');
    }
  });
});
