import { describe, expect, it } from 'vitest';

import { MemoryStorage, QueueFullError, Spool, defineJob, describeLimits, resolveLimits } from '@spool/core';

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
