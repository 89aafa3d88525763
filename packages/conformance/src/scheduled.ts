import { describe, expect, it } from 'vitest';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

/** Tests of `scheduledPromoteDue`: due jobs, next due time, limits. */
export function scheduledTests(target: ConformanceTarget): void {
  describe('scheduledPromoteDue', () => {
    const h = useHarness(target);

    it('reports no next due time when nothing is scheduled', async () => {
      await h.createOne();
      expect(await h.storage.scheduledPromoteDue({ limit: 10 })).toEqual({ promoted: 0, nextDueAt: null });
    });

    it('promotes nothing before the due time and reports the earliest one', async () => {
      const later = h.now() + 120_000;
      const sooner = h.now() + 60_000;
      await h.create(h.scheduledJob(120_000), h.scheduledJob(60_000));
      expect(await h.storage.scheduledPromoteDue({ limit: 10 })).toEqual({ promoted: 0, nextDueAt: sooner });
      h.clock.advance(59_999);
      expect(await h.storage.scheduledPromoteDue({ limit: 10 })).toEqual({ promoted: 0, nextDueAt: sooner });
      expect(await h.fetch()).toEqual([]);
      h.clock.advance(1);
      expect(await h.storage.scheduledPromoteDue({ limit: 10 })).toEqual({ promoted: 1, nextDueAt: later });
      await h.expectCounts({ scheduled: 1, enqueued: 1 });
    });

    it('enqueues a due job with a history record, ready to fetch', async () => {
      const id = await h.createOne(h.scheduledJob(5_000));
      h.clock.advance(6_000);
      expect(await h.storage.scheduledPromoteDue({ limit: 10 })).toEqual({ promoted: 1, nextDueAt: null });
      const job = await h.get(id);
      expect(job.state).toBe('enqueued');
      expect(job.updatedAt).toEqual(new Date(h.now()));
      const history = await h.history(id);
      expect(history.map((r) => r.state)).toEqual(['scheduled', 'enqueued']);
      expect(history[1]!.at).toEqual(new Date(h.now()));
      expect((await h.fetchOne()).id).toBe(id);
      await h.verify();
    });

    it('promotes at most limit jobs, the earliest due first', async () => {
      const [third, first, second] = await h.create(h.scheduledJob(3_000), h.scheduledJob(1_000), h.scheduledJob(2_000));
      h.clock.advance(10_000);
      const result = await h.storage.scheduledPromoteDue({ limit: 2 });
      expect(result.promoted).toBe(2);
      // The one left is already due: the caller learns to come back at once.
      expect(result.nextDueAt).toBe(h.now() - 7_000);
      expect([await h.stateOf(first!), await h.stateOf(second!), await h.stateOf(third!)]).toEqual(['enqueued', 'enqueued', 'scheduled']);
      expect(await h.storage.scheduledPromoteDue({ limit: 2 })).toEqual({ promoted: 1, nextDueAt: null });
      await h.expectCounts({ enqueued: 3 });
    });

    it('leaves deleted scheduled jobs out', async () => {
      const id = await h.createOne(h.scheduledJob(1_000));
      expect((await h.storage.jobSetState({ id, expected: ['scheduled'], state: 'deleted', reason: 'Cancelled' })).ok).toBe(true);
      h.clock.advance(2_000);
      expect(await h.storage.scheduledPromoteDue({ limit: 10 })).toEqual({ promoted: 0, nextDueAt: null });
      expect(await h.stateOf(id)).toBe('deleted');
      await h.verify();
    });
  });
}
