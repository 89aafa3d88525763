import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage, Spool, defineJob } from '@spool/core';
// @ts-expect-error -- a plain JavaScript fixture module, loaded by worker threads by URL
import { burn, explode, rateLimitedOnce, snoozeOnce, spin } from './fixtures/thread-jobs.js';
import { fastServer, waitForState } from './helpers.js';

let spool: Spool;

afterEach(async () => {
  await spool?.close();
});

describe("execution: 'thread'", () => {
  it('runs the handler in a worker thread while the event loop keeps serving other jobs', async () => {
    const finished: string[] = [];
    const quick = defineJob('quick', () => {
      finished.push('quick');
    });
    spool = new Spool({ storage: new MemoryStorage(), jobs: [burn, quick] });
    await spool.startServer({ ...fastServer, concurrency: 4 });
    const heavy = await spool.enqueue(burn, { ms: 1500 });
    await waitForState(spool, heavy, 'processing');
    const light = await spool.enqueue(quick, null);
    await waitForState(spool, light, 'succeeded');
    expect((await spool.getJob(heavy))!.state).toBe('processing');
    const job = await waitForState(spool, heavy, 'succeeded');
    expect((job.result as { threadId: number }).threadId).toBeGreaterThan(0);
    expect(job.logs.map((l) => l.message)).toEqual(['burning 1500 ms']);
    expect(job.progress).toBe(100);
  });

  it('terminates a thread whose handler outlives its timeout and fails the attempt', async () => {
    spool = new Spool({ storage: new MemoryStorage(), jobs: [spin] });
    await spool.startServer(fastServer);
    const id = await spool.enqueue(spin, null);
    const job = await waitForState(spool, id, 'failed');
    expect(job.error).toMatchObject({ code: 'ERR_JOB_TIMEOUT' });
  });

  it('snoozes a job from a thread without counting the attempt', async () => {
    spool = new Spool({ storage: new MemoryStorage(), jobs: [snoozeOnce] });
    await spool.startServer(fastServer);
    const id = await spool.enqueue(snoozeOnce, null);
    const job = await waitForState(spool, id, 'succeeded');
    expect(job.attempt).toBe(1);
    expect(job.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'scheduled', 'enqueued', 'processing', 'succeeded']);
    expect(job.error).toBeNull();
  });

  it('defers a job that threw rateLimited in a thread without counting the attempt or recording an error', async () => {
    spool = new Spool({ storage: new MemoryStorage(), jobs: [rateLimitedOnce] });
    const server = await spool.startServer(fastServer);
    const limited: string[] = [];
    server.events.on('job:rate-limited', ({ job }) => limited.push(job.id));
    const id = await spool.enqueue(rateLimitedOnce, null);
    const job = await waitForState(spool, id, 'succeeded');
    expect(limited).toEqual([id]);
    expect(job.attempt).toBe(1);
    expect(job.history.find((h) => h.state === 'scheduled')!.data).toMatchObject({ rateLimited: true });
    expect(job.error).toBeNull();
  });

  it('carries an error thrown in a thread back with its name, message and code', async () => {
    spool = new Spool({ storage: new MemoryStorage(), jobs: [explode] });
    await spool.startServer(fastServer);
    const id = await spool.enqueue(explode, null);
    const job = await waitForState(spool, id, 'failed');
    expect(job.error).toMatchObject({ name: 'Error', message: 'exploded in a thread', code: 'E_BOOM' });
  });
});
