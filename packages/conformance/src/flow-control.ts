import { describe, expect, it } from 'vitest';

import { LIMIT_KEY_PARAMETER, resolveLimits } from '@spool/core';
import type { FetchedJob, JobsFetchParams, Limits, LimitScope, LimitsOption, NewJob, Storage } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { LEASE_MS, useHarness } from './harness.js';

const FETCHERS = 8;

/**
 * Tests of flow control: limits stored per scope and layer, and checked inside the claim, so that
 * they hold across any number of handles. A storage without the `flowControl` capability refuses
 * to store limits; it runs only the first test.
 */
export function flowControlTests(target: ConformanceTarget): void {
  // Twice: a fetch for any name, and one for the names a server runs (storages may claim by name).
  for (const names of [null, NAMES]) flowControlGroup(target, names);
}

/** Every job name the tests below create, as a server that runs all of them passes them. */
const NAMES = ['test.job', 'limited', 'report', 'mail', 'export', 'sync', 'work'];

function flowControlGroup(target: ConformanceTarget, names: readonly string[] | null): void {
  describe(`flow control (fetch for ${names === null ? 'any name' : 'the names of a server'})`, () => {
    const h = useHarness(target);
    const fetch = (params: Partial<JobsFetchParams> = {}, storage: Storage = h.storage) => h.fetch({ names, ...params }, storage);

    const limits = (option: LimitsOption): Limits => resolveLimits(option, 'limits');
    const setLimits = (scope: LimitScope, option: LimitsOption | null, layer: 'code' | 'operator' = 'operator', storage: Storage = h.storage) =>
      storage.limitsSet({ scope, layer, limits: option === null ? null : limits(option), setBy: layer === 'operator' ? 'ops' : null });
    const keyed = (key: string, overrides: Partial<NewJob> = {}): Partial<NewJob> => ({ parameters: { [LIMIT_KEY_PARAMETER]: key }, ...overrides });
    const ids = (jobs: FetchedJob[]) => jobs.map((j) => j.id);

    it('stores limits only with the flowControl capability, and refuses them clearly without it', async () => {
      if (!h.storage.capabilities.flowControl) {
        await expect(setLimits({ queue: 'default' }, { concurrency: 1 })).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
        expect(await h.storage.limitsList()).toEqual([]);
        return;
      }
      await setLimits({ queue: 'default' }, { concurrency: 1 });
      expect((await h.storage.limitsList()).map((r) => r.scope)).toEqual([{ queue: 'default' }]);
    });

    it('keeps both layers of a scope with who set the operator layer, and forgets a scope with neither', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'export' }, { concurrency: 2 }, 'code');
      h.clock.advance(1_000);
      await setLimits({ job: 'export' }, { concurrency: 5, rate: { limit: 10, per: '1m' } }, 'operator');
      const [record] = await h.storage.limitsList();
      expect(record).toEqual({
        scope: { job: 'export' },
        code: limits({ concurrency: 2 }),
        operator: { limits: limits({ concurrency: 5, rate: { limit: 10, per: '1m' } }), setBy: 'ops', setAt: new Date(h.now()) },
        running: 0,
      });
      await setLimits({ job: 'export' }, null, 'operator');
      expect((await h.storage.limitsList())[0]!.operator).toBeNull();
      await setLimits({ job: 'export' }, null, 'code');
      expect(await h.storage.limitsList()).toEqual([]);
    });

    it('starts no more jobs of a queue than its concurrency, and starts the next when one leaves processing', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ queue: 'default' }, { concurrency: 2 });
      const created = await h.create({}, {}, {}, {});
      const first = await fetch({ limit: 10 });
      expect(ids(first)).toEqual(created.slice(0, 2));
      expect(await fetch({ limit: 10 })).toEqual([]);
      expect((await h.storage.limitsList())[0]!.running).toBe(2);
      await h.succeed(first[0]!);
      expect(ids(await fetch({ limit: 10 }))).toEqual([created[2]]);
      expect(await h.stateOf(created[3]!)).toBe('enqueued');
    });

    it('frees a place whatever way the job leaves processing: failure, retry, return, rescue, operator', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'limited' }, { concurrency: 1 });
      const job = { name: 'limited' };
      await h.create(job, job, job, job, job, job);
      const next = async () => {
        const jobs = await fetch({ limit: 10 });
        expect(jobs).toHaveLength(1);
        expect(await fetch({ limit: 10 })).toEqual([]);
        return jobs[0]!;
      };
      await h.fail(await next());
      await h.complete(await next(), { state: 'scheduled', runAt: new Date(h.now() + 60_000), error: { name: 'Error', message: 'x' }, reason: 'Retry' });
      await h.complete(await next(), { state: 'enqueued', reason: 'Shutdown', refundAttempt: true });
      const rescued = await next();
      h.clock.advance(LEASE_MS + 1);
      expect((await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).requeued).toEqual([rescued.id]);
      const deleted = await next();
      expect((await h.storage.jobSetState({ id: deleted.id, expected: ['processing'], state: 'deleted', reason: 'By hand' })).ok).toBe(true);
      await next();
      expect((await h.storage.limitsList())[0]!.running).toBe(1);
    });

    it('limits a job name across queues, and leaves other names of the queue unlimited', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'report' }, { concurrency: 1 });
      const [r1, , free1, free2] = await h.create({ name: 'report' }, { name: 'report' }, { name: 'mail' }, { name: 'mail' });
      const [r3] = await h.create({ name: 'report', queue: 'other' });
      const got = await fetch({ queues: ['default', 'other'], limit: 10 });
      expect(ids(got).sort()).toEqual([r1, free1, free2].sort());
      expect(await h.stateOf(r3!)).toBe('enqueued');
    });

    it('limits each key on its own, passing over a key at its limit to serve the others', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 1 } });
      const job = (key: string) => keyed(key, { name: 'export' });
      const [a1, , , b1, , c1] = await h.create(job('a'), job('a'), job('a'), job('b'), job('b'), job('c'));
      expect(ids(await fetch({ limit: 10 }))).toEqual([a1, b1, c1]);
      expect(await fetch({ limit: 10 })).toEqual([]);
    });

    it('serves a small key before a large one has run twice its limit more (fairness)', async () => {
      if (!h.storage.capabilities.flowControl) return;
      const concurrency = 2;
      await setLimits({ job: 'sync' }, { perKey: { concurrency } });
      for (let i = 0; i < 4; i++) await h.storage.jobsCreate({ jobs: Array.from({ length: 250 }, () => h.job(keyed('big', { name: 'sync' }))) });
      const small = await h.create(...Array.from({ length: 3 }, () => keyed('small', { name: 'sync' })));
      let bigRun = 0;
      const smallStarted = new Set<string>();
      for (let round = 0; round < 10 && smallStarted.size < concurrency; round++) {
        const jobs = await fetch({ limit: 4 });
        for (const job of jobs) {
          if (small.includes(job.id)) smallStarted.add(job.id);
          else bigRun++;
        }
        for (const job of jobs.filter((j) => !small.includes(j.id))) await h.succeed(job);
      }
      expect(smallStarted.size).toBe(concurrency);
      expect(bigRun).toBeLessThanOrEqual(2 * concurrency + concurrency);
    });

    it('counts a job in every gate it takes: queue, name and key together', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ queue: 'default' }, { concurrency: 3 });
      await setLimits({ job: 'export' }, { concurrency: 2, perKey: { concurrency: 1 } });
      const [a1, a2, b1, c1, m1, m2] = await h.create(
        keyed('a', { name: 'export' }),
        keyed('a', { name: 'export' }),
        keyed('b', { name: 'export' }),
        keyed('c', { name: 'export' }),
        { name: 'mail' },
        { name: 'mail' },
      );
      // a1 (key a), then a2 waits for key a, b1 (name full at 2 now), c1 waits for the name, m1 fills the queue.
      expect(ids(await fetch({ limit: 10 }))).toEqual([a1, b1, m1]);
      for (const id of [a2, c1, m2]) expect(await h.stateOf(id!)).toBe('enqueued');
    });

    it('starts no more per window than a rate allows, and more when the next window opens', async () => {
      if (!h.storage.capabilities.flowControl) return;
      // At the start of a window of a minute (windows are aligned on the epoch).
      h.clock.advance((60_000 - (h.now() % 60_000)) % 60_000);
      await setLimits({ queue: 'default' }, { rate: { limit: 3, per: '1m' } });
      await h.storage.jobsCreate({ jobs: Array.from({ length: 10 }, () => h.job()) });
      expect(await fetch({ limit: 2 })).toHaveLength(2);
      h.clock.advance(59_000);
      expect(await fetch({ limit: 10 })).toHaveLength(1);
      expect(await fetch({ limit: 10 })).toHaveLength(0);
      h.clock.advance(1_000);
      expect(await fetch({ limit: 10 })).toHaveLength(3);
      expect(await fetch({ limit: 10 })).toHaveLength(0);
    });

    it('deletes a job whose key is held under onLocked skip, and runs the others', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'sync' }, { perKey: { concurrency: 1, onLocked: 'skip' } });
      const [a1, a2, b1] = await h.create(keyed('a', { name: 'sync' }), keyed('a', { name: 'sync' }), keyed('b', { name: 'sync' }));
      expect(ids(await fetch({ limit: 10 }))).toEqual([a1, b1]);
      expect(await h.stateOf(a2!)).toBe('deleted');
      const history = await h.history(a2!);
      expect(history.at(-1)).toMatchObject({ state: 'deleted', data: { gate: 'job:sync#a' } });
      expect(history.at(-1)!.reason).toContain('key a');
      await h.expectCounts({ processing: 2, deleted: 1 });
    });

    it('applies an operator layer instead of the code layer, and the code layer again once cleared', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ queue: 'default' }, { concurrency: 1 }, 'code');
      await setLimits({ queue: 'default' }, { concurrency: 3 }, 'operator');
      await h.storage.jobsCreate({ jobs: Array.from({ length: 6 }, () => h.job()) });
      expect(await fetch({ limit: 10 })).toHaveLength(3);
      await setLimits({ queue: 'default' }, null, 'operator');
      expect(await fetch({ limit: 10 })).toHaveLength(0);
      await setLimits({ queue: 'default' }, null, 'code');
      expect(await fetch({ limit: 10 })).toHaveLength(3);
    });

    /**
     * Burns down `total` jobs of name `work` spread over `keys` with FETCHERS handles claiming up to
     * `limit` each and completing as they go; answers the most that ran at once, overall and per key.
     */
    const burnDownConcurrently = async (total: number, keys: readonly string[], limit: number) => {
      await h.storage.jobsCreate({ jobs: Array.from({ length: total }, (_, i) => h.job(keyed(keys[i % keys.length]!, { name: 'work' }))) });
      const fetchers: Storage[] = [];
      for (let i = 0; i < FETCHERS; i++) fetchers.push(await h.connect());
      const running = new Map<string, string>();
      let most = 0;
      let mostPerKey = 0;
      let done = 0;
      const keyOf = (job: FetchedJob) => job.parameters[LIMIT_KEY_PARAMETER] as string;
      await Promise.all(
        fetchers.map(async (storage, index) => {
          for (let idle = 0; done < total && idle < 200; ) {
            const jobs = await fetch({ limit, serverId: `fetcher-${index}` }, storage);
            if (jobs.length === 0) {
              idle++;
              await new Promise((resolve) => setImmediate(resolve));
              continue;
            }
            idle = 0;
            // A job is in `running` only while storage holds it processing (added once claimed,
            // removed before its completion is sent), so `running` never counts more than storage.
            for (const job of jobs) running.set(job.id, keyOf(job));
            const observe = () => {
              most = Math.max(most, running.size);
              const perKeyNow = new Map<string, number>();
              for (const key of running.values()) perKeyNow.set(key, (perKeyNow.get(key) ?? 0) + 1);
              mostPerKey = Math.max(mostPerKey, ...perKeyNow.values());
            };
            observe();
            // Let the other fetchers' claims land while these jobs run.
            await storage.jobLeaseExtend({ leases: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken })), leaseMs: LEASE_MS });
            observe();
            for (const job of jobs) running.delete(job.id);
            const { results } = await storage.jobsComplete({
              completions: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Succeeded' } })),
              serverId: `fetcher-${index}`,
            });
            expect(results.every((r) => r.ok)).toBe(true);
            done += jobs.length;
          }
        }),
      );
      expect(done).toBe(total);
      await h.expectCounts({ succeeded: total });
      return { most, mostPerKey };
    };

    it(`never runs more than the limit with ${FETCHERS} concurrent fetchers completing as they go`, async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'work' }, { concurrency: 3, perKey: { concurrency: 1 } });
      const { most, mostPerKey } = await burnDownConcurrently(300, ['k0', 'k1', 'k2', 'k3', 'k4'], 2);
      expect(most).toBeLessThanOrEqual(3);
      expect(mostPerKey).toBeLessThanOrEqual(1);
      expect((await h.storage.limitsList())[0]!.running).toBe(0);
    });

    it(`never runs more than a key's limit when ${FETCHERS} fetchers claim far more than the keys' places at once`, async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'work' }, { perKey: { concurrency: 2 } });
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      const { mostPerKey } = await burnDownConcurrently(360, keys, 50);
      expect(mostPerKey).toBeLessThanOrEqual(2);
      expect((await h.storage.limitsList())[0]!.running).toBe(0);
    });

    it("claims every key's free places in one large claim, and never more", async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 2 } });
      const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
      await h.storage.jobsCreate({ jobs: keys.flatMap((key) => [1, 2, 3, 4].map(() => h.job(keyed(key, { name: 'export' })))) });
      const first = await fetch({ limit: 100 });
      expect(first).toHaveLength(20);
      const perKey = new Map<string, number>();
      for (const job of first) perKey.set(job.parameters[LIMIT_KEY_PARAMETER] as string, (perKey.get(job.parameters[LIMIT_KEY_PARAMETER] as string) ?? 0) + 1);
      expect([...perKey.values()]).toEqual(keys.map(() => 2));
      expect(await fetch({ limit: 100 })).toEqual([]);
    });

    it('claims the jobs without a key of a name with per-key limits, past the backlog of its full keys', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ job: 'export' }, { perKey: { concurrency: 1 } });
      await h.storage.jobsCreate({ jobs: Array.from({ length: 60 }, () => h.job(keyed('big', { name: 'export' }))) });
      const unkeyed = await h.create({ name: 'export' }, { name: 'export' });
      const got = ids(await fetch({ limit: 10 }));
      expect(got).toHaveLength(3);
      expect(got).toEqual(expect.arrayContaining(unkeyed));
      expect(await fetch({ limit: 10 })).toEqual([]);
    });

    it('lets jobs of queues and names without limits start as before while other scopes have limits', async () => {
      if (!h.storage.capabilities.flowControl) return;
      await setLimits({ queue: 'slow' }, { concurrency: 1 });
      const free = await h.create({}, {}, {});
      expect(ids(await fetch({ limit: 10 }))).toEqual(free);
      expect((await h.storage.limitsList())[0]!.running).toBe(0);
    });
  });
}
