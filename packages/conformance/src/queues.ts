import { describe, expect, it } from 'vitest';

import type { QueueRecord } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import type { Harness } from './harness.js';
import { useHarness } from './harness.js';

/** The monitoring record of one queue, or undefined when the queue is not listed. */
async function queue(h: Harness, name: string): Promise<QueueRecord | undefined> {
  return (await h.storage.monitoring.queues()).find((q) => q.name === name);
}

/** Tests of `queuePauseSet` and the queues read model. */
export function queuesTests(target: ConformanceTarget): void {
  describe('queues', () => {
    const h = useHarness(target);

    it('lists each queue that holds enqueued jobs with its count and oldest enqueue time', async () => {
      const first = h.now();
      await h.create({ queue: 'mail' }, { queue: 'mail' });
      h.clock.advance(5_000);
      await h.create({ queue: 'mail' }, { queue: 'sms' });
      expect(await queue(h, 'mail')).toEqual({ name: 'mail', enqueued: 3, paused: false, oldestEnqueuedAt: new Date(first) });
      expect(await queue(h, 'sms')).toEqual({ name: 'sms', enqueued: 1, paused: false, oldestEnqueuedAt: new Date(h.now()) });
      const names = (await h.storage.monitoring.queues()).map((q) => q.name);
      expect(new Set(names).size).toBe(names.length);
    });

    it('finds the oldest enqueued job among every job name and priority of the queue', async () => {
      const start = h.now();
      // The oldest job has the lowest priority and the last name: no single order finds it first.
      await h.create({ queue: 'mixed', name: 'zeta', priority: -5 });
      h.clock.advance(1_000);
      await h.create({ queue: 'mixed', name: 'alpha', priority: 10 }, { queue: 'mixed', name: 'zeta', priority: 3 }, { queue: 'mixed', name: 'alpha', priority: 0 });
      await h.create({ queue: 'other', name: 'alpha', priority: 0 });
      expect(await queue(h, 'mixed')).toMatchObject({ enqueued: 4, oldestEnqueuedAt: new Date(start) });
      // A higher priority runs first: the oldest job stays; once it runs, the next oldest is a later one.
      const [next] = await h.fetch({ queues: ['mixed'], names: ['zeta'], limit: 1 });
      expect(next!.priority).toBe(3);
      expect(await queue(h, 'mixed')).toMatchObject({ enqueued: 3, oldestEnqueuedAt: new Date(start) });
      await h.fetch({ queues: ['mixed'], names: ['zeta'] });
      expect(await queue(h, 'mixed')).toMatchObject({ enqueued: 2, oldestEnqueuedAt: new Date(start + 1_000) });
    });

    it('follows fetches and requeues in its counts and oldest enqueue time', async () => {
      const start = h.now();
      await h.create({}, {});
      h.clock.advance(1_000);
      await h.create({});
      const first = await h.fetchOne();
      expect(await queue(h, 'default')).toMatchObject({ enqueued: 2, oldestEnqueuedAt: new Date(start) });
      await h.fetchOne();
      expect(await queue(h, 'default')).toMatchObject({ enqueued: 1, oldestEnqueuedAt: new Date(start + 1_000) });
      h.clock.advance(1_000);
      expect(await h.complete(first, { state: 'enqueued', reason: 'again', refundAttempt: true })).toBe(true);
      expect(await queue(h, 'default')).toMatchObject({ enqueued: 2, oldestEnqueuedAt: new Date(start + 1_000) });
      await h.fetch();
      const drained = await queue(h, 'default');
      // A queue with nothing enqueued may be listed (with 0 and no time) or left out.
      if (drained) expect(drained).toMatchObject({ enqueued: 0, oldestEnqueuedAt: null });
    });

    it('does not count scheduled, awaiting, processing or finished jobs as enqueued', async () => {
      await h.createOne(h.scheduledJob(60_000, { queue: 'q' }));
      const parent = await h.createOne({ queue: 'parents' });
      await h.createOne(h.continuation(parent, 'succeeded', { queue: 'q' }));
      await h.running({ queue: 'q' });
      const done = await h.running({ queue: 'q' });
      expect(await h.succeed(done)).toBe(true);
      await h.createOne({ queue: 'q' });
      expect(await queue(h, 'q')).toMatchObject({ enqueued: 1 });
    });

    it('pauses and resumes a queue, listing it as paused even when empty', async () => {
      await h.storage.queuePauseSet({ queue: 'quiet', paused: true });
      expect(await queue(h, 'quiet')).toEqual({ name: 'quiet', enqueued: 0, paused: true, oldestEnqueuedAt: null });
      await h.storage.queuePauseSet({ queue: 'quiet', paused: true });
      expect((await h.storage.monitoring.queues()).filter((q) => q.name === 'quiet')).toHaveLength(1);
      await h.createOne({ queue: 'quiet' });
      expect(await queue(h, 'quiet')).toMatchObject({ enqueued: 1, paused: true });
      await h.storage.queuePauseSet({ queue: 'quiet', paused: false });
      expect(await queue(h, 'quiet')).toMatchObject({ enqueued: 1, paused: false });
    });

    it('accepts resuming a queue that was never paused', async () => {
      await h.storage.queuePauseSet({ queue: 'never', paused: false });
      const listed = await queue(h, 'never');
      if (listed) expect(listed.paused).toBe(false);
    });

    it('keeps jobs of a paused queue enqueued and counted', async () => {
      await h.create({ queue: 'held' }, { queue: 'held' });
      await h.storage.queuePauseSet({ queue: 'held', paused: true });
      expect(await h.fetch({ queues: ['held'] })).toEqual([]);
      expect(await queue(h, 'held')).toMatchObject({ enqueued: 2, paused: true });
      await h.expectCounts({ enqueued: 2 });
    });
  });
}
