import { describe, expect, it } from 'vitest';

import { MemoryStorage, QueueFullError, Spool, defineJob, describeLimits, resolveLimits } from '@spool/core';
import type { StorageEvent } from '@spool/core';

import { fastServer, waitFor } from './helpers.js';

const exportPdf = defineJob('documents.export', async (_args: { page: number }) => undefined, { queue: 'exports' });

describe('bounded queues through the client', () => {
  it("stores the code's bound from Spool's queues option when it opens, and lets an operator's win until cleared", async () => {
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [exportPdf], queues: { exports: { maxSize: 2 } } });
    await spool.enqueueMany(exportPdf, [{ page: 1 }, { page: 2 }]);
    expect((await spool.limits.get({ queue: 'exports' }))?.code?.maxSize).toBe(2);
    await expect(spool.enqueue(exportPdf, { page: 3 })).rejects.toBeInstanceOf(QueueFullError);
    await spool.limits.set({ queue: 'exports' }, { maxSize: 3 }, { setBy: 'ann' });
    const view = await spool.limits.get({ queue: 'exports' });
    expect(view).toMatchObject({ source: 'operator', inForce: { maxSize: 3 }, operator: { setBy: 'ann' } });
    await spool.enqueue(exportPdf, { page: 3 });
    await spool.limits.clear({ queue: 'exports' });
    await expect(spool.enqueue(exportPdf, { page: 4 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 3, bound: 2 });
    await spool.close();
  });

  it("takes the queue's onFull as the default of its enqueues, and an enqueue's own over it", async () => {
    const spool = new Spool({
      storage: new MemoryStorage(),
      jobs: [exportPdf],
      queues: { exports: { maxSize: 1, onFull: 'wait', fullTimeout: '20s' } },
    });
    await spool.enqueue(exportPdf, { page: 1 });
    await expect(spool.enqueue(exportPdf, { page: 2 }, { onFull: 'reject' })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', waitedMs: 0 });
    const waiting = spool.enqueue(exportPdf, { page: 2 });
    const server = await spool.startServer({ ...fastServer, queues: ['exports'] });
    const id = await waiting;
    await waitFor(async () => (await spool.getJob(id))?.state === 'succeeded', 'the job that waited for room to run');
    await server.stop();
    await spool.close();
  });

  it('serves the producers of one process that wait for room in the order they began to wait', async () => {
    // Wake-ups reach the newest listener first (as a poll, or another process's notice, may): the
    // order of service must not follow the order of wake-ups.
    const storage = new NewestFirstStorage();
    const spool = new Spool({ storage, jobs: [exportPdf], queues: { exports: { maxSize: 1, onFull: 'wait', fullTimeout: '20s' } } });
    // The job that holds the queue's one place, then each producer's as it is served.
    const holders = [await spool.enqueue(exportPdf, { page: 0 })];
    const served: number[] = [];
    const waiting = [1, 2, 3].map(async (page) => {
      await new Promise((resolve) => setTimeout(resolve, page * 20));
      holders.push(await spool.enqueue(exportPdf, { page }));
      served.push(page);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(served).toEqual([]);
    // Room frees one place at a time: each goes to the producer first in line.
    for (let freed = 0; freed < 3; freed++) {
      await storage.jobSetState({ id: holders[freed]!, expected: ['enqueued'], state: 'deleted', reason: 'Made room' });
      await waitFor(async () => served.length === freed + 1, `producer ${freed + 1} to be served`);
    }
    await Promise.all(waiting);
    expect(served).toEqual([1, 2, 3]);
    await spool.close();
  });

  it('refuses a bound on a job name, onFull with a transaction, and a malformed queues option, with ERR_CONFIG', async () => {
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [exportPdf] });
    await expect(spool.limits.set({ job: 'documents.export' }, { maxSize: 5 })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      problems: [{ path: 'limits of job:documents.export.maxSize' }],
    });
    expect(() => defineJob('x.y', async () => undefined, { limits: { maxSize: 5 } as never })).toThrow(/bounds a queue, not a job name/);
    await expect(spool.enqueue(exportPdf, { page: 1 }, { onFull: 'wait', transaction: {} })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      problems: [{ path: 'enqueue options.onFull' }],
    });
    await expect(spool.enqueue(exportPdf, { page: 1 }, { onFull: 'later' as never })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    expect(() => new Spool({ storage: new MemoryStorage(), queues: { exports: { maxSize: 0, onFull: 'drop' } } as never })).toThrow(
      /queues\.exports\.maxSize[^]*queues\.exports\.onFull/,
    );
    await spool.close();
  });

  it('says a bound in words, beside the other limits', () => {
    expect(describeLimits(resolveLimits({ maxSize: 100 }, 'limits'))).toBe('at most 100 enqueued');
    expect(describeLimits(resolveLimits({ concurrency: 2, maxSize: 10 }, 'limits'))).toBe('at most 2 at once; at most 10 enqueued');
  });
});

/** A memory storage that hands each event to its newest subscriber first. */
class NewestFirstStorage extends MemoryStorage {
  private readonly newestFirst: Array<(event: StorageEvent) => void> = [];
  private dispatching: (() => void) | null = null;

  override subscribe(listener: (event: StorageEvent) => void): () => void {
    this.newestFirst.unshift(listener);
    this.dispatching ??= super.subscribe((event) => {
      for (const each of [...this.newestFirst]) each(event);
    });
    return () => {
      const index = this.newestFirst.indexOf(listener);
      if (index >= 0) this.newestFirst.splice(index, 1);
    };
  }
}
