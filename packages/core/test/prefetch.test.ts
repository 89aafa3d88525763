import { afterEach, describe, expect, it } from 'vitest';
import type { FetchedJob, JobContext, JobsFetchParams } from '@spool/core';
import { ManualRuntime, MemoryStorage, Spool, defineJob } from '@spool/core';
import type { ServerOptions } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer } from './driven-server.js';

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
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
});

/** A Spool on `storage` whose time is a ManualRuntime (the storage's clock is the runtime's). */
function make(jobs: Parameters<Spool['define']>, storage?: MemoryStorage): MemoryStorage {
  runtime = new ManualRuntime();
  const store = storage ?? new MemoryStorage({ clock: runtime.clock });
  spool = new Spool({ storage: store, jobs }, runtime);
  return store;
}

async function start(options: ServerOptions): Promise<{ server: Awaited<ReturnType<Spool['startServer']>>; log: ServerEventLog }> {
  const server = await spool.startServer({ ...drivenServer, ...options });
  return { server, log: new ServerEventLog(server) };
}

describe('claiming jobs ahead of free slots', () => {
  it('claims short jobs many at a time, beyond the free slots', async () => {
    const noop = defineJob('noop', () => undefined);
    const storage = new CountingMemoryStorage();
    make([noop], storage);
    await spool.enqueueMany(noop, Array.from({ length: 500 }, () => null));
    const { log } = await start({ concurrency: 2 });
    await log.reach('job:succeeded', 500);
    // Default cap: 500 (more than 4 x concurrency here).
    expect(Math.max(...storage.limits)).toBeGreaterThan(2 + 8);
    expect(Math.max(...storage.limits)).toBeLessThanOrEqual(2 + 500);
  });

  it('never claims more ahead than the prefetch option allows', async () => {
    const noop = defineJob('noop', () => undefined);
    const storage = new CountingMemoryStorage();
    make([noop], storage);
    await spool.enqueueMany(noop, Array.from({ length: 500 }, () => null));
    const { log } = await start({ concurrency: 2, prefetch: 8 });
    await log.reach('job:succeeded', 500);
    expect(Math.max(...storage.limits)).toBeGreaterThan(2);
    expect(Math.max(...storage.limits)).toBeLessThanOrEqual(2 + 8);
  });

  it('leaves long jobs in the queue for other servers', async () => {
    const slow = defineJob('slow', async () => {
      await runtime.sleep(150);
    });
    make([slow]);
    const [first, second, third] = await spool.enqueueMany(slow, [null, null, null]);
    const { log } = await start({ concurrency: 1 });
    await driveUntil(runtime, log.nextFor('job:succeeded', first!), 50);
    await log.nextFor('job:started', second!);
    await runtime.settle();
    expect((await spool.getJob(second!))!.state).toBe('processing');
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
    make([blocker, quick]);
    const { server, log } = await start({ concurrency: 1, shutdownTimeout: 50 });
    // Learn that quick jobs are quick, so that the server claims ahead.
    await spool.enqueueMany(quick, Array.from({ length: 20 }, () => null));
    await log.reach('job:succeeded', 20);
    const blocking = await spool.enqueue(blocker, null);
    await log.nextFor('job:started', blocking);
    const waiting = await spool.enqueueMany(quick, Array.from({ length: 3 }, () => null));
    // The enqueue wakes the fetch loop, which claims the three ahead without time passing.
    await runtime.settle();
    expect((await spool.stats()).states.processing).toBe(4);
    await driveUntil(runtime, server.stop(), 10);
    release();
    for (const id of waiting) {
      const job = (await spool.getJob(id))!;
      expect(job.state).toBe('enqueued');
      expect(job.attempt).toBe(0);
      expect(job.history.at(-1)!.reason).toBe('Returned unstarted: the server is shutting down');
    }
  });
});
