import { describe, expect, it } from 'vitest';

import type { FetchedJob, NewJob, Storage } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

const FETCHERS = 8;

/**
 * Tests of a create's answer to a unique key an active job holds: `onDuplicate: 'keep'` answers
 * with the holder; `'replace'` changes the waiting holder (a debounce) or, once it has started,
 * creates a new job that takes the key over. Only on storages with the `replaceDuplicates`
 * capability (the client refuses `'replace'` elsewhere); the others skip these tests.
 */
export function duplicatesTests(target: ConformanceTarget): void {
  describe("duplicates of a unique key (onDuplicate: 'keep' | 'replace')", () => {
    const h = useHarness(target);
    const create = async (job: Partial<NewJob>, storage: Storage = h.storage) => (await storage.jobsCreate({ jobs: [h.job(job)] })).jobs[0]!;
    const replace = (args: NewJob['args'], more: Partial<NewJob> = {}) => ({ uniqueKey: 'sync:42', onDuplicate: 'replace' as const, args, ...more });

    it('answers a duplicate with the holder and changes nothing by default (keep)', async () => {
      const [holder] = await h.create({ uniqueKey: 'sync:42', args: { v: 1 } });
      expect(await create({ uniqueKey: 'sync:42', args: { v: 2 }, onDuplicate: 'keep' })).toEqual({ id: holder, created: false, state: 'enqueued' });
      expect((await h.get(holder!)).args).toEqual({ v: 1 });
      expect(await h.historyStates(holder!)).toEqual(['enqueued']);
    });

    it("gives a scheduled holder the duplicate's arguments and due time (debounce), and answers with it", async () => {
      if (!h.storage.capabilities.replaceDuplicates) return;
      const holder = h.scheduledJob(10_000, { uniqueKey: 'sync:42', args: { v: 1 } });
      await h.storage.jobsCreate({ jobs: [holder] });
      const later = new Date(h.now() + 60_000);
      expect(await create(replace({ v: 2 }, { state: 'scheduled', runAt: later }))).toEqual({ id: holder.id, created: false, state: 'scheduled' });
      const job = await h.get(holder.id);
      expect(job.args).toEqual({ v: 2 });
      expect(job.runAt).toEqual(later);
      const history = await h.history(holder.id);
      expect(history.map((e) => e.state)).toEqual(['scheduled', 'scheduled']);
      expect(history[1]!.reason).toMatch(/^Replaced by a duplicate enqueue \(onDuplicate: 'replace'\): run at .* → .*, arguments changed$/);
      await h.expectCounts({ scheduled: 1 });
      // Promoted only at the pushed time.
      h.clock.advance(30_000);
      await h.storage.scheduledPromoteDue({ limit: 10 });
      expect(await h.stateOf(holder.id)).toBe('scheduled');
    });

    it('gives an enqueued holder the new arguments and keeps its place in the queue', async () => {
      if (!h.storage.capabilities.replaceDuplicates) return;
      const [holder, other] = await h.create({ uniqueKey: 'sync:42', args: { v: 1 } }, { args: { other: true } });
      expect(await create(replace({ v: 2 }))).toEqual({ id: holder, created: false, state: 'enqueued' });
      const fetched = await h.fetch({ limit: 10 });
      expect(fetched.map((j) => [j.id, j.args])).toEqual([
        [holder, { v: 2 }],
        [other, { other: true }],
      ]);
      await h.expectCounts({ processing: 2 });
    });

    it('creates a new job that takes the key over when the holder has started, never two waiting', async () => {
      if (!h.storage.capabilities.replaceDuplicates) return;
      const running = await h.running({ uniqueKey: 'sync:42', args: { v: 1 } });
      const taken = await create(replace({ v: 2 }));
      expect(taken.created).toBe(true);
      expect(taken.id).not.toBe(running.id);
      // The new job holds the key now: the next duplicate replaces it, not the running one.
      expect(await create(replace({ v: 3 }))).toEqual({ id: taken.id, created: false, state: 'enqueued' });
      expect((await h.get(taken.id)).args).toEqual({ v: 3 });
      expect((await h.get(running.id)).args).toEqual({ v: 1 });
      // The running job's outcome leaves the new job's key alone.
      await h.succeed(running);
      expect(await create({ uniqueKey: 'sync:42', args: { v: 4 } })).toEqual({ id: taken.id, created: false, state: 'enqueued' });
      await h.expectCounts({ enqueued: 1, succeeded: 1 });
    });

    it('creates the job as any other when no active job holds the key', async () => {
      if (!h.storage.capabilities.replaceDuplicates) return;
      const first = await create(replace({ v: 1 }));
      expect(first.created).toBe(true);
      expect((await h.get(first.id)).uniqueKey).toBe('sync:42');
    });

    it(`never loses a replace nor leaves two jobs waiting while ${FETCHERS} fetchers on separate handles claim`, async () => {
      if (!h.storage.capabilities.replaceDuplicates) return;
      const REPLACES = 24;
      const fetchers: Storage[] = [];
      for (let i = 0; i < FETCHERS; i++) fetchers.push(await h.connect());
      const producer = await h.connect();
      const claimed: FetchedJob[] = [];
      let producing = true;
      const fetching = fetchers.map(async (storage) => {
        // A pause between claims leaves a waiting job to some replaces, and races others.
        while (producing) {
          claimed.push(...(await h.fetch({ limit: 1 }, storage)));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      });
      const answers: Array<{ id: string; created: boolean; v: number }> = [];
      try {
        for (let v = 1; v <= REPLACES; v++) answers.push({ ...(await create(replace({ v }), producer)), v });
      } finally {
        producing = false;
        await Promise.all(fetching);
      }
      claimed.push(...(await h.fetch({ limit: 10 })));
      // Never two waiting: every claim took a different job, and none is left behind.
      expect(new Set(claimed.map((j) => j.id)).size).toBe(claimed.length);
      await h.expectCounts({ processing: claimed.length });
      // Never lost: the last replace's arguments reached a job that was claimed with them.
      expect(claimed.some((j) => (j.args as { v: number }).v === REPLACES)).toBe(true);
      // A replace never changed a job after its claim: what was claimed is what is stored.
      for (const job of claimed) expect((await h.get(job.id)).args).toEqual(job.args);
      // Never lost: the job each replace answered with was claimed with that replace's arguments
      // or a later one's (a replace refused by a claim would leave it with an earlier one).
      const claimedArgs = new Map(claimed.map((j) => [j.id, (j.args as { v: number }).v]));
      for (const answer of answers) expect(claimedArgs.get(answer.id), `replace ${answer.v}`).toBeGreaterThanOrEqual(answer.v);
      // Each new job was created once, by the answer that said so.
      expect(answers.filter((a) => a.created).map((a) => a.id).sort()).toEqual(claimed.map((j) => j.id).sort());
    });
  });
}
