import { describe, expect, it } from 'vitest';

import { LIMIT_KEY_PARAMETER, resolveLimits } from '@spool/core';
import type { CompletionOutcome, FetchedJob, Handover, JobsFetchParams, LimitScope, LimitsOption, NewJob, Storage } from '@spool/core';
import { pauseCandidatesOf } from '@spool/core/storage-kit';

import type { ConformanceTarget } from './conformance-target.js';
import { isEnqueued, settle } from './event-waits.js';
import { LEASE_MS, SERVER, useHarness } from './harness.js';

const FETCHERS = 8;
const SUCCESS: CompletionOutcome = { state: 'succeeded', result: null, reason: 'Succeeded' };

/**
 * Tests of a completion write's hand-over (capability `handover`, decision 53): a place a success
 * frees passes, in the same write, to its key's next waiting job, leased to the writing server,
 * only where core's `handoverScopes` says a claim would give it to that job and nothing else. A
 * storage without the capability runs none of them.
 */
export function flowControlHandoverTests(target: ConformanceTarget): void {
  describe('flow control: a success hands its place over to its key', () => {
    const h = useHarness(target);
    const names = ['export', 'report', 'test.job'];
    const fetch = (params: Partial<JobsFetchParams> = {}, storage: Storage = h.storage) => h.fetch({ names, ...params }, storage);
    const setLimits = (scope: LimitScope, option: LimitsOption) =>
      h.storage.limitsSet({ scope, layer: 'operator', limits: resolveLimits(option, 'limits'), setBy: 'ops' });
    const keyed = (key: string, overrides: Partial<NewJob> = {}): Partial<NewJob> => ({ name: 'export', parameters: { [LIMIT_KEY_PARAMETER]: key }, ...overrides });
    const handover = (overrides: Partial<Handover> = {}): Handover => ({ queues: ['default'], names, limit: 10, leaseMs: LEASE_MS, ...overrides });
    const complete = async (jobs: readonly FetchedJob[], over: Handover | undefined, outcome: CompletionOutcome = SUCCESS, storage: Storage = h.storage) => {
      const completions = jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome }));
      const result = await storage.jobsComplete({ completions, serverId: SERVER, ...(over ? { handover: over } : {}) });
      expect(result.results.every((r) => r.ok)).toBe(true);
      return result.handedOver ?? [];
    };
    const ids = (jobs: readonly FetchedJob[]) => jobs.map((j) => j.id);
    const capable = () => h.storage.capabilities.flowControl && h.storage.capabilities.handover;

    it("passes a success's place to its key's next job, leased to the same server, and frees nothing", async () => {
      if (!capable()) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 2 } });
      const [a1, a2, a3, a4, b1] = await h.create(keyed('a'), keyed('a'), keyed('a'), keyed('a'), keyed('b'));
      const first = await fetch({ limit: 10 });
      expect(ids(first).sort()).toEqual([a1, a2, b1].sort());
      const events = h.record();
      const handed = await complete(first.filter((j) => j.id === a1), handover());
      expect(ids(handed)).toEqual([a3]);
      expect(handed[0]).toMatchObject({ state: 'processing', attempt: 1, name: 'export', queue: 'default' });
      expect(await h.get(a3!)).toMatchObject({ state: 'processing', serverId: SERVER });
      // The place passed: key a still runs two (a2, a3) and nothing more starts.
      expect(await fetch({ limit: 10 })).toEqual([]);
      expect(await h.stateOf(a4!)).toBe('enqueued');
      // The job handed over holds its lease and its place like a claimed one.
      expect(await complete(handed, undefined)).toEqual([]);
      expect(ids(await fetch({ limit: 10 }))).toEqual([a4]);
      await h.expectCounts({ succeeded: 2, processing: 3 });
      if (h.storage.capabilities.notifications !== 'none') {
        await settle(h, events);
        // The write that passed its place announced no freed place of the queue; the later one did.
        const announced = events.filter(isEnqueued('default'));
        expect(announced.length).toBe(1);
      }
    });

    it('hands over no more jobs than its limit, and frees the other places', async () => {
      if (!capable()) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 3 } });
      const created = await h.create(keyed('a'), keyed('a'), keyed('a'), keyed('a'), keyed('a'), keyed('a'), keyed('a'));
      const first = await fetch({ limit: 10 });
      expect(ids(first)).toEqual(created.slice(0, 3));
      const handed = await complete(first, handover({ limit: 2 }));
      expect(ids(handed).sort()).toEqual(created.slice(3, 5).sort());
      expect(ids(await fetch({ limit: 10 }))).toEqual([created[5]]);
      expect(await fetch({ limit: 10 })).toEqual([]);
      expect(await h.stateOf(created[6]!)).toBe('enqueued');
    });

    it('hands over only where a claim would give the place to that job alone', async () => {
      if (!capable()) return;
      // A concurrency of the whole name, a rate of the key, a queue's limits, skip on lock: a claim
      // weighs other jobs or other rules, so the place is freed instead.
      await setLimits({ job: 'export' }, { concurrency: 10, perKey: { concurrency: 1 } });
      await setLimits({ job: 'report' }, { perKey: { concurrency: 1, rate: { limit: 100, per: '1m' } } });
      await setLimits({ job: 'test.job' }, { perKey: { concurrency: 1, onLocked: 'skip' } });
      await setLimits({ queue: 'limited' }, { concurrency: 10 });
      await setLimits({ job: 'other' }, { perKey: { concurrency: 1 } });
      const pairs: Array<[Partial<NewJob>, Partial<NewJob>]> = [
        [keyed('a'), keyed('a')],
        [keyed('a', { name: 'report' }), keyed('a', { name: 'report' })],
        [keyed('a', { name: 'test.job' }), keyed('a', { name: 'test.job' })],
        [keyed('a', { name: 'other', queue: 'limited' }), keyed('a', { name: 'other', queue: 'limited' })],
      ];
      for (const [first, second] of pairs) {
        const [, waiting] = await h.create(first, second);
        const queue = first.queue ?? 'default';
        const [running] = await fetch({ limit: 1, queues: [queue], names: null });
        expect(await complete([running!], handover({ queues: ['default', 'limited'], names: null }))).toEqual([]);
        expect(ids(await fetch({ limit: 10, queues: [queue], names: null }))).toEqual([waiting]);
      }
      // A failure, and a success of a name the server does not run, free their places too.
      await setLimits({ job: 'export' }, { perKey: { concurrency: 1 } });
      const [, afterFailure] = await h.create(keyed('f'), keyed('f'));
      const [failing] = await fetch({ limit: 1 });
      const failure: CompletionOutcome = { state: 'failed', error: { name: 'Error', message: 'x' }, reason: 'Failed' };
      expect(await complete([failing!], handover(), failure)).toEqual([]);
      const [next] = await fetch({ limit: 1 });
      expect(next!.id).toBe(afterFailure);
      const [, notRun] = await h.create(keyed('g'), keyed('g'));
      const [job] = await fetch({ limit: 1 });
      expect(await complete([job!], handover({ names: ['report'] }))).toEqual([]);
      expect(ids(await fetch({ limit: 10 }))).toEqual([notRun]);
    });

    it('hands over nothing in a paused queue, nor under a paused gate', async () => {
      if (!capable()) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 2 } });
      const [, , a3] = await h.create(keyed('a'), keyed('a'), keyed('a'));
      const [a1, a2] = await fetch({ limit: 10 });
      // a1 meets a remote rate limit: key a is paused for a minute, a2 still runs.
      const pauseGates = pauseCandidatesOf({ queue: 'default', name: 'export', limitKey: 'a' });
      await complete([a1!], undefined, { state: 'scheduled', runAt: new Date(h.now() + 60_000), reason: 'Rate limited', snoozed: true, pauseGates });
      expect(await complete([a2!], handover())).toEqual([]);
      expect(await h.stateOf(a3!)).toBe('enqueued');
      await h.create(keyed('b'), keyed('b'));
      const [b1] = await fetch({ limit: 1 });
      await h.storage.queuePauseSet({ queue: 'default', paused: true });
      expect(await complete([b1!], handover())).toEqual([]);
      await h.storage.queuePauseSet({ queue: 'default', paused: false });
      expect(await fetch({ limit: 10 })).toHaveLength(1);
    });

    it(`never runs more than a key's limit with ${FETCHERS} fetchers running what their writes hand over`, async () => {
      if (!capable()) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 2 } });
      const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
      const total = 300;
      await h.storage.jobsCreate({ jobs: Array.from({ length: total }, (_, i) => h.job(keyed(keys[i % keys.length]!))) });
      const fetchers: Storage[] = [];
      for (let i = 0; i < FETCHERS; i++) fetchers.push(await h.connect());
      // A job is in `running` from its claim or hand-over until just before its success is sent.
      const running = new Map<string, string>();
      let mostPerKey = 0;
      let done = 0;
      const observe = () => {
        const perKey = new Map<string, number>();
        for (const key of running.values()) perKey.set(key, (perKey.get(key) ?? 0) + 1);
        mostPerKey = Math.max(mostPerKey, ...perKey.values());
      };
      await Promise.all(
        fetchers.map(async (storage, index) => {
          let held: FetchedJob[] = [];
          for (let idle = 0; done < total && idle < 200; ) {
            if (held.length === 0) held = await fetch({ limit: 4, serverId: `fetcher-${index}` }, storage);
            if (held.length === 0) {
              idle++;
              await new Promise((resolve) => setImmediate(resolve));
              continue;
            }
            idle = 0;
            for (const job of held) running.set(job.id, job.parameters[LIMIT_KEY_PARAMETER] as string);
            observe();
            // Let the other fetchers' claims and writes land while these jobs run.
            await storage.jobLeaseExtend({ leases: held.map((j) => ({ id: j.id, leaseToken: j.leaseToken })), leaseMs: LEASE_MS });
            observe();
            for (const job of held) running.delete(job.id);
            const { results, handedOver = [] } = await storage.jobsComplete({
              completions: held.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: SUCCESS })),
              serverId: `fetcher-${index}`,
              handover: handover({ limit: 4 }),
            });
            expect(results.every((r) => r.ok)).toBe(true);
            for (const job of handedOver) expect(job.parameters[LIMIT_KEY_PARAMETER]).toBeDefined();
            done += held.length;
            held = handedOver;
          }
        }),
      );
      expect(done).toBe(total);
      expect(mostPerKey).toBeLessThanOrEqual(2);
      await h.expectCounts({ succeeded: total });
      // Every place came back: a key's two places are free for the next jobs.
      await h.create(keyed('k0'), keyed('k0'), keyed('k0'));
      expect(await fetch({ limit: 10 })).toHaveLength(2);
    });

    it('hands nothing over without limits in reach, and answers as before', async () => {
      if (!capable()) return;
      await h.create({}, {});
      const jobs = await fetch({ limit: 10 });
      expect(await complete(jobs, handover())).toEqual([]);
      await h.expectCounts({ succeeded: 2 });
    });
  });
}
