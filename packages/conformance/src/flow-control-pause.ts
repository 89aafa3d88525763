import { describe, expect, it } from 'vitest';

import { LIMIT_KEY_PARAMETER, resolveLimits } from '@spool/core';
import type { CompletionOutcome, FetchedJob, JobsFetchParams, LimitScope, LimitsOption, NewJob, Storage } from '@spool/core';
import { pauseCandidatesOf } from '@spool/core/storage-kit';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

/**
 * Tests of `rateLimited(delay)`: the job's change pauses the gate it ran under (its key's, else
 * its name's, else its queue's), stored, so that no fetcher on any handle starts a job of that
 * gate until the pause ends, while other gates keep running.
 */
export function flowControlPauseTests(target: ConformanceTarget): void {
  describe('flow control: a rate-limited job pauses its gate', () => {
    const h = useHarness(target);
    const names = ['export', 'report', 'mail', 'test.job'];
    const fetch = (params: Partial<JobsFetchParams> = {}, storage: Storage = h.storage) => h.fetch({ names, ...params }, storage);
    const setLimits = (scope: LimitScope, option: LimitsOption) =>
      h.storage.limitsSet({ scope, layer: 'operator', limits: resolveLimits(option, 'limits'), setBy: 'ops' });
    const keyed = (key: string, overrides: Partial<NewJob> = {}): Partial<NewJob> => ({ parameters: { [LIMIT_KEY_PARAMETER]: key }, ...overrides });
    const ids = (jobs: FetchedJob[]) => jobs.map((j) => j.id);
    const rateLimitedFor = (job: FetchedJob, ms: number): CompletionOutcome => {
      const key = job.parameters[LIMIT_KEY_PARAMETER];
      const pauseGates = pauseCandidatesOf({ queue: job.queue, name: job.name, limitKey: typeof key === 'string' ? key : null });
      return { state: 'scheduled', runAt: new Date(h.now() + ms), reason: 'Rate limited', snoozed: true, pauseGates };
    };

    it("pauses the job's key on every handle until the delay ends, while other keys keep running", async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 2 } });
      const job = (key: string) => keyed(key, { name: 'export' });
      const [a1, a2, a3, b1, b2] = await h.create(job('a'), job('a'), job('a'), job('b'), job('b'));
      const [first] = await fetch({ limit: 1 });
      expect(first!.id).toBe(a1);
      expect(await h.complete(first!, rateLimitedFor(first!, 30_000))).toBe(true);
      expect(await h.get(a1!)).toMatchObject({ state: 'scheduled', runAt: new Date(h.now() + 30_000), attempt: 0, error: null });
      expect((await h.history(a1!)).at(-1)).toMatchObject({ state: 'scheduled', data: { snoozed: true, rateLimited: true } });
      const other = await h.connect();
      expect(ids(await fetch({ limit: 10 }, other))).toEqual([b1, b2]);
      h.clock.advance(29_999);
      expect(await fetch({ limit: 10 }, other)).toEqual([]);
      h.clock.advance(1);
      expect(ids(await fetch({ limit: 10 }, other))).toEqual([a2, a3]);
    });

    it("pauses the job name's gate for a job without a key, and leaves other names running", async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'report' }, { concurrency: 5 });
      const [r1, r2, m1] = await h.create({ name: 'report' }, { name: 'report' }, { name: 'mail' });
      const [first] = await fetch({ limit: 1 });
      expect(first!.id).toBe(r1);
      await h.complete(first!, rateLimitedFor(first!, 10_000));
      expect(ids(await fetch({ limit: 10 }))).toEqual([m1]);
      h.clock.advance(10_000);
      expect(ids(await fetch({ limit: 10 }))).toEqual([r2]);
    });

    it('keeps the later of two pauses of one gate', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'report' }, { concurrency: 5 });
      const [, , r3] = await h.create({ name: 'report' }, { name: 'report' }, { name: 'report' });
      const [one, two] = await fetch({ limit: 2 });
      await h.complete(one!, rateLimitedFor(one!, 20_000));
      await h.complete(two!, rateLimitedFor(two!, 5_000));
      h.clock.advance(5_000);
      expect(await fetch({ limit: 10 })).toEqual([]);
      h.clock.advance(15_000);
      expect(ids(await fetch({ limit: 10 }))).toEqual([r3]);
    });

    it('reads what gates hold for an operator: running, the rate window, the pause; nothing for an unused gate', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'export' }, { rate: { limit: 10, per: '1m' }, perKey: { concurrency: 2 } });
      const job = (key: string) => keyed(key, { name: 'export' });
      await h.create(job('a'), job('a'), job('b'));
      const [a1, a2, b1] = await fetch({ limit: 10 });
      await h.complete(a1!, rateLimitedFor(a1!, 30_000));
      await h.succeed(b1!);
      const readings = await h.storage.limitsGates({ gates: ['job:export', 'job:export#a', 'job:export#b', 'job:export#never'] });
      const byGate = new Map(readings.map((r) => [r.gate, r.state]));
      expect(byGate.get('job:export')).toMatchObject({ running: 1, windowStart: h.now() - (h.now() % 60_000), windowCount: 3 });
      expect(byGate.get('job:export#a')).toMatchObject({ running: 1, pausedUntil: h.now() + 30_000 });
      expect(byGate.get('job:export#b')?.running ?? 0).toBe(0);
      expect(byGate.has('job:export#never')).toBe(false);
      expect(a2).toBeDefined();
    });

    it('defers only the job itself when it took no gate (nothing limits it)', async () => {
      const [t1, t2] = await h.create({}, {});
      const [first] = await fetch({ limit: 1 });
      expect(first!.id).toBe(t1);
      await h.complete(first!, rateLimitedFor(first!, 10_000));
      expect(await h.stateOf(t1!)).toBe('scheduled');
      expect(ids(await fetch({ limit: 10 }))).toEqual([t2]);
    });
  });
}
