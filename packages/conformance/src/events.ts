import { describe, expect, it } from 'vitest';

import { LIMIT_KEY_PARAMETER, resolveLimits } from '@spool/core';
import type { StorageEvent } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { LEASE_MS, useHarness } from './harness.js';
import { arrives, isEnqueued, isState, settle } from './event-waits.js';

/** Tests of `subscribe`: wake-up events after commits, none for fetches and claims. */
export function eventsTests(target: ConformanceTarget): void {
  describe('events', () => {
    const h = useHarness(target);

    it('announces jobs-enqueued with the queues that got jobs', async (ctx) => {
      if (h.storage.capabilities.notifications === 'none') return ctx.skip();
      const events = h.record();
      await h.create({ queue: 'mail' }, { queue: 'sms' });
      await arrives(events, isEnqueued('mail'), 'jobs-enqueued for mail');
      await arrives(events, isEnqueued('sms'), 'jobs-enqueued for sms');
    });

    it('announces jobs-scheduled with the earliest due time', async (ctx) => {
      if (h.storage.capabilities.notifications === 'none') return ctx.skip();
      const events = h.record();
      await h.create(h.scheduledJob(60_000), h.scheduledJob(30_000));
      const soonest = h.now() + 30_000;
      await arrives(events, (e) => e.type === 'jobs-scheduled' && e.earliestRunAt === soonest, 'jobs-scheduled');
      for (const event of events) if (event.type === 'jobs-scheduled') expect(event.earliestRunAt).toBeGreaterThanOrEqual(soonest);
    });

    it('announces job-state for completions and operator changes, but not for fetches or claims', async (ctx) => {
      if (h.storage.capabilities.notifications === 'none') return ctx.skip();
      const [fetched, claimed] = await h.create({}, { queue: 'claim' });
      const events = h.record();
      const [job] = await h.fetch({ limit: 1 });
      expect(job!.id).toBe(fetched);
      const claim = await h.storage.jobClaim({ id: claimed!, expected: ['enqueued'], serverId: 'p', leaseMs: LEASE_MS });
      expect(claim).not.toBeNull();
      await settle(h, events);
      expect(events.filter((e) => e.type === 'job-state' && (e.id === fetched || e.id === claimed))).toEqual([]);

      expect(await h.succeed(job!)).toBe(true);
      await arrives(events, isState(fetched!, 'succeeded'), 'job-state succeeded');
      expect((await h.storage.jobSetState({ id: claimed!, expected: ['processing'], state: 'deleted', reason: 'abort' })).ok).toBe(true);
      await arrives(events, isState(claimed!, 'deleted'), 'job-state deleted');
    });

    it('announces released continuations and rescued jobs', async (ctx) => {
      if (h.storage.capabilities.notifications === 'none') return ctx.skip();
      const parent = await h.running({ queue: 'parents' });
      const child = await h.createOne(h.continuation(parent.id, 'succeeded', { queue: 'children' }));
      const lost = await h.running({ queue: 'lost' });
      const events = h.record();
      expect(await h.succeed(parent)).toBe(true);
      await arrives(events, isState(child, 'enqueued'), 'job-state for the released child');
      await arrives(events, isEnqueued('children'), 'jobs-enqueued for the released child');
      h.clock.advance(LEASE_MS);
      await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 });
      await arrives(events, isState(lost.id, 'enqueued'), 'job-state for the rescued job');
      await arrives(events, isEnqueued('lost'), 'jobs-enqueued for the rescued job');
    });

    // A server's fetch loop relies on this event, not on a wake of its own, to claim the next job of
    // a limit after an outcome is written: one wake per written outcome (decision 51).
    it('announces jobs-enqueued for the queue of a job whose outcome frees a place of a limit', async (ctx) => {
      if (h.storage.capabilities.notifications === 'none' || !h.storage.capabilities.flowControl) return ctx.skip();
      await h.storage.limitsSet({ scope: { job: 'keyed' }, layer: 'operator', limits: resolveLimits({ perKey: { concurrency: 1 } }, 'limits'), setBy: 'ops' });
      const keyed = { name: 'keyed', queue: 'gated', parameters: { [LIMIT_KEY_PARAMETER]: 'k1' } };
      await h.create(keyed, keyed);
      const [job] = await h.fetch({ queues: ['gated'], limit: 2 });
      const events = h.record();
      expect(await h.succeed(job!)).toBe(true);
      await arrives(events, isEnqueued('gated'), 'jobs-enqueued for the freed place');
    });

    it('announces promoted scheduled jobs as enqueued', async (ctx) => {
      if (h.storage.capabilities.notifications === 'none') return ctx.skip();
      await h.createOne(h.scheduledJob(1_000, { queue: 'later' }));
      const events = h.record();
      h.clock.advance(1_000);
      await h.storage.scheduledPromoteDue({ limit: 10 });
      await arrives(events, isEnqueued('later'), 'jobs-enqueued for the promoted job');
    });

    it('stops delivering after unsubscribe', async (ctx) => {
      if (h.storage.capabilities.notifications === 'none') return ctx.skip();
      const kept = h.record();
      const dropped: StorageEvent[] = [];
      const unsubscribe = h.storage.subscribe((e) => dropped.push(e));
      unsubscribe();
      await h.createOne({ queue: 'after' });
      await arrives(kept, isEnqueued('after'), 'jobs-enqueued');
      await settle(h, kept);
      expect(dropped).toEqual([]);
    });
  });
}
