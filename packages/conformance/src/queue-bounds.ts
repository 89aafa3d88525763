import { describe, expect, it } from 'vitest';

import { QueueFullError, Spool, resolveLimits } from '@spool/core';
import type { LimitsOption, NewJob, Storage } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

const PRODUCERS = 8;

/**
 * Tests of bounded queues: a queue's `maxSize` (in its stored limits) caps its enqueued jobs, checked
 * in the create's atomic step, so the bound holds across any number of handles and producers. A
 * storage without the `flowControl` capability stores no limits, so it has no bounded queues.
 */
export function queueBoundsTests(target: ConformanceTarget): void {
  describe('bounded queues', () => {
    const h = useHarness(target);
    const bound = (queue: string, option: LimitsOption | null, layer: 'code' | 'operator' = 'operator', storage: Storage = h.storage) =>
      storage.limitsSet({ scope: { queue }, layer, limits: option === null ? null : resolveLimits(option, 'limits'), setBy: null });
    const enqueuedIn = async (queue: string) => (await h.storage.monitoring.queues()).find((q) => q.name === queue)?.enqueued ?? 0;
    const tryCreate = (jobs: Array<Partial<NewJob>>, storage: Storage = h.storage) => storage.jobsCreate({ jobs: jobs.map((j) => h.job(j)) });

    it('refuses a create past the bound with ERR_QUEUE_FULL naming the queue, its size and its bound, and writes nothing', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await bound('exports', { maxSize: 2 });
      await h.create({ queue: 'exports' }, { queue: 'exports' });
      const refused = tryCreate([{ queue: 'exports' }]);
      await expect(refused).rejects.toBeInstanceOf(QueueFullError);
      await expect(refused).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', queue: 'exports', size: 2, bound: 2, adding: 1 });
      expect(await enqueuedIn('exports')).toBe(2);
      await h.expectCounts({ enqueued: 2 });
    });

    it('creates a batch that does not fit not at all (all or none), and one that fits whole', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await bound('exports', { maxSize: 5 });
      await h.create({ queue: 'exports' }, { queue: 'exports' }, { queue: 'exports' });
      await expect(tryCreate([{ queue: 'exports' }, { queue: 'exports' }, { queue: 'exports' }])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 3, bound: 5, adding: 3 });
      expect(await enqueuedIn('exports')).toBe(3);
      // A job of another queue in a refused batch is not created either.
      await expect(tryCreate([{ queue: 'other' }, { queue: 'exports' }, { queue: 'exports' }, { queue: 'exports' }])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
      await h.expectCounts({ enqueued: 3 });
      await h.create({ queue: 'exports' }, { queue: 'exports' });
      expect(await enqueuedIn('exports')).toBe(5);
    });

    it('refuses a batch or a flow that does not fit whole, its batch record and edges with it; its waiting steps take no room', async () => {
      if (!h.storage.capabilities.flowControl || !h.storage.flows) return;
      const flows = h.storage.flows;
      await bound('exports', { maxSize: 3 });
      await h.create({ queue: 'exports' });
      const batchId = h.ids.next();
      const members = [h.job({ queue: 'exports' }), h.job({ queue: 'exports' }), h.job({ queue: 'exports' })];
      const refused = flows.flowsCreate({ batches: [{ id: batchId, description: 'too big', parentBatchId: null }], jobs: members.map((job) => ({ job, batchId, hasDependents: false })), dependencies: [] });
      await expect(refused).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', queue: 'exports', size: 1, bound: 3, adding: 3 });
      expect(await flows.batchGet({ id: batchId })).toBeNull();
      await h.expectCounts({ enqueued: 1 });

      // Two roots enqueued and a step awaiting both: the step takes no room until it is released.
      const [a, b] = [h.job({ queue: 'exports' }), h.job({ queue: 'exports' })];
      const step = h.job({ queue: 'exports', state: 'awaiting', reason: 'Awaiting its parents' });
      const second = h.ids.next();
      await flows.flowsCreate({
        batches: [{ id: second, description: 'fits', parentBatchId: null }],
        jobs: [a, b, step].map((job) => ({ job, batchId: second, hasDependents: job !== step })),
        dependencies: [a, b].map((parent) => ({ parentId: parent.id, childId: step.id, parentKind: 'job' as const, policy: 'fail' as const })),
      });
      expect(await flows.batchGet({ id: second })).toMatchObject({ total: 3 });
      await h.expectCounts({ enqueued: 3, awaiting: 1 });
      // Attaching to the batch is an enqueue too: refused when the queue is full.
      const late = h.job({ queue: 'exports' });
      await expect(flows.flowsCreate({ batches: [], jobs: [{ job: late, batchId: second, hasDependents: false }], dependencies: [] })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 3 });
      expect(await flows.batchGet({ id: second })).toMatchObject({ total: 3 });
    });

    it('counts enqueued jobs only: scheduled jobs, continuations and a unique key answered by its holder take no room', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await bound('exports', { maxSize: 1 });
      const [first] = await h.create({ queue: 'exports', uniqueKey: 'sync:1' });
      await h.storage.jobsCreate({ jobs: [h.scheduledJob(60_000, { queue: 'exports' }), h.continuation(first!, 'succeeded', { queue: 'exports' })] });
      const again = await tryCreate([{ queue: 'exports', uniqueKey: 'sync:1' }]);
      expect(again.jobs).toEqual([{ id: first, created: false, state: 'enqueued' }]);
      await expect(tryCreate([{ queue: 'exports' }])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 1 });
      await h.expectCounts({ enqueued: 1, scheduled: 1, awaiting: 1 });
    });

    it('makes room when a job leaves the queue: a claim, a delete', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await bound('exports', { maxSize: 2 });
      const [a] = await h.create({ queue: 'exports' }, { queue: 'exports' });
      await expect(tryCreate([{ queue: 'exports' }])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
      await h.fetch({ queues: ['exports'], limit: 1 });
      await h.create({ queue: 'exports' });
      await expect(tryCreate([{ queue: 'exports' }])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
      const fetched = await h.fetch({ queues: ['exports'], limit: 10 });
      expect(fetched).toHaveLength(2);
      expect(fetched.map((j) => j.id)).not.toContain(a);
      const [b, c] = await h.create({ queue: 'exports' }, { queue: 'exports' });
      expect((await h.storage.jobSetState({ id: b!, expected: ['enqueued'], state: 'deleted', reason: 'test' })).ok).toBe(true);
      await h.create({ queue: 'exports' });
      expect(c).toBeDefined();
      expect(await enqueuedIn('exports')).toBe(2);
    });

    it("takes the operator's bound over the code's, and the code's again when it is cleared", async () => {
      if (!h.storage.capabilities.flowControl) return;
      await bound('exports', { maxSize: 1 }, 'code');
      await bound('exports', { maxSize: 3 }, 'operator');
      await h.create({ queue: 'exports' }, { queue: 'exports' }, { queue: 'exports' });
      await expect(tryCreate([{ queue: 'exports' }])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', bound: 3 });
      await bound('exports', null, 'operator');
      await expect(tryCreate([{ queue: 'exports' }])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 3, bound: 1 });
      await bound('exports', null, 'code');
      await h.create({ queue: 'exports' });
      expect(await enqueuedIn('exports')).toBe(4);
    });

    it("counts a replace of a waiting holder as nothing, and refuses a take-over into a full queue whole, the running job keeping its key", async () => {
      if (!h.storage.capabilities.flowControl || !h.storage.capabilities.replaceDuplicates) return;
      await bound('exports', { maxSize: 1 });
      const [holder] = await h.create({ queue: 'exports', uniqueKey: 'sync:1', args: { v: 1 } });
      const replace = (v: number): Partial<NewJob> => ({ queue: 'exports', uniqueKey: 'sync:1', onDuplicate: 'replace', args: { v } });
      expect((await tryCreate([replace(2)])).jobs).toEqual([{ id: holder, created: false, state: 'enqueued' }]);
      expect((await h.get(holder!)).args).toEqual({ v: 2 });
      const [running] = await h.fetch({ queues: ['exports'], limit: 1 });
      await h.create({ queue: 'exports' });
      await expect(tryCreate([replace(3)])).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 1, adding: 1 });
      expect((await h.get(running!.id)).uniqueKey).toBe('sync:1');
      await h.expectCounts({ enqueued: 1, processing: 1 });
    });

    it('claims the jobs of a queue whose only limit is its bound as jobs without limits', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await bound('exports', { maxSize: 10 });
      const ids = await h.create(...Array.from({ length: 6 }, () => ({ queue: 'exports' })));
      const fetched = await h.fetch({ queues: ['exports'], limit: 10 });
      expect(fetched.map((j) => j.id)).toEqual(ids);
      expect((await h.storage.limitsList())[0]!.running).toBe(0);
    });

    it(`never lets ${PRODUCERS} concurrent producers on separate handles take a queue past its bound`, async () => {
      if (!h.storage.capabilities.flowControl) return;
      const BOUND = 12;
      await bound('exports', { maxSize: BOUND });
      const handles: Storage[] = [];
      for (let i = 0; i < PRODUCERS; i++) handles.push(await h.connect());
      // Each producer tries 4 single creates and one batch of 2: 48 jobs offered for 12 places.
      const outcomes = await Promise.all(
        handles.map(async (storage) => {
          let created = 0;
          let refused = 0;
          const offers: Array<Array<Partial<NewJob>>> = [[{ queue: 'exports' }], [{ queue: 'exports' }, { queue: 'exports' }], [{ queue: 'exports' }], [{ queue: 'exports' }], [{ queue: 'exports' }]];
          for (const offer of offers) {
            try {
              const result = await tryCreate(offer, storage);
              created += result.jobs.filter((j) => j.created).length;
            } catch (error) {
              if ((error as { code?: unknown }).code !== 'ERR_QUEUE_FULL') throw error;
              refused++;
            }
          }
          return { created, refused };
        }),
      );
      const created = outcomes.reduce((n, o) => n + o.created, 0);
      expect(await enqueuedIn('exports')).toBe(created);
      expect(created).toBeLessThanOrEqual(BOUND);
      // Only batches of 2 can be refused while a place is left, so the queue ends at most one short.
      expect(created).toBeGreaterThanOrEqual(BOUND - 1);
      expect(outcomes.some((o) => o.refused > 0)).toBe(true);
      await h.expectCounts({ enqueued: created });
    });

    it("lets an enqueue with onFull: 'wait' proceed once a job leaves the queue, and one past its deadline fail with ERR_QUEUE_FULL", async () => {
      if (!h.storage.capabilities.flowControl) return;
      await bound('exports', { maxSize: 1 });
      const spool = new Spool({ storage: h.storage });
      const options = { queue: 'exports', attempts: 1, timeout: null } as const;
      await spool.enqueue('export', {}, options);
      await expect(spool.enqueue('export', {}, { ...options, onFull: 'wait', fullTimeout: 30 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', queue: 'exports' });
      await expect(spool.enqueue('export', {}, options)).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', waitedMs: 0 });
      let settled = false;
      const waiting = spool.enqueue('export', { second: true }, { ...options, onFull: 'wait', fullTimeout: '30s' }).finally(() => (settled = true));
      // Still waiting after several tries (each refused): the queue holds its one job.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(settled).toBe(false);
      expect(await enqueuedIn('exports')).toBe(1);
      const [claimed] = await h.fetch({ queues: ['exports'], limit: 1 });
      const id = await waiting;
      expect(id).not.toBe(claimed!.id);
      expect((await h.get(id)).args).toEqual({ second: true });
      expect(await enqueuedIn('exports')).toBe(1);
    });
  });
}
