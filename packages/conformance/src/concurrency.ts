import { describe, expect, it } from 'vitest';

import type { FetchedJob, Storage } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

const JOBS = 5_000;
const FETCHERS = 8;
const FETCH_LIMIT = 10;

/** Tests of concurrent use from several handles: no double delivery, one winner per compare-and-set. */
export function concurrencyTests(target: ConformanceTarget): void {
  describe('concurrency', () => {
    const h = useHarness(target);

    async function handles(count: number): Promise<Storage[]> {
      const list: Storage[] = [];
      for (let i = 0; i < count; i++) list.push(await h.connect());
      return list;
    }

    it(`delivers each of ${JOBS} jobs exactly once to ${FETCHERS} concurrent fetchers`, async () => {
      for (let offset = 0; offset < JOBS; offset += 500) {
        await h.storage.jobsCreate({ jobs: Array.from({ length: Math.min(500, JOBS - offset) }, () => h.job()) });
      }
      await h.expectCounts({ enqueued: JOBS });
      const fetchers = await handles(FETCHERS);
      const deliveries = new Map<string, number>();
      const wrongServer: string[] = [];
      // The clock stands still: no lease can expire, so any second delivery is a double delivery.
      await Promise.all(
        fetchers.map(async (storage, index) => {
          const serverId = `fetcher-${index}`;
          for (;;) {
            const jobs: FetchedJob[] = await h.fetch({ limit: FETCH_LIMIT, serverId }, storage);
            expect(jobs.length).toBeLessThanOrEqual(FETCH_LIMIT);
            if (jobs.length === 0) return;
            for (const job of jobs) {
              deliveries.set(job.id, (deliveries.get(job.id) ?? 0) + 1);
              if (job.serverId !== serverId || job.state !== 'processing') wrongServer.push(job.id);
            }
          }
        }),
      );
      const twice = [...deliveries].filter(([, n]) => n !== 1).map(([id]) => id);
      expect(twice).toEqual([]);
      expect(deliveries.size).toBe(JOBS);
      expect(wrongServer).toEqual([]);
      await h.expectCounts({ processing: JOBS });
    });

    it('lets exactly one of several concurrent state changes with the same expectation win', async () => {
      const id = await h.createOne();
      const racers = await handles(FETCHERS);
      const results = await Promise.all(racers.map((s) => s.jobSetState({ id, expected: ['enqueued'], state: 'deleted', reason: 'race' })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(await h.historyStates(id)).toEqual(['enqueued', 'deleted']);
      await h.expectCounts({ deleted: 1 });
    });

    it('creates one job for a unique key that several handles create at once', async () => {
      const racers = await handles(FETCHERS);
      const results = await Promise.all(racers.map((s) => s.jobsCreate({ jobs: [h.job({ uniqueKey: 'only-one' })] })));
      const entries = results.map((r) => r.jobs[0]!);
      expect(entries.filter((e) => e.created)).toHaveLength(1);
      expect(new Set(entries.map((e) => e.id)).size).toBe(1);
      await h.expectCounts({ enqueued: 1 });
    });

    it('completes each job once when its completion races a requeue', async () => {
      await h.create(...Array.from({ length: 20 }, () => ({})));
      const running = await h.fetch();
      const [completer, operator] = await handles(2);
      const outcomes = await Promise.all(
        running.map(async (job, i) => {
          const complete = completer!.jobsComplete({
            serverId: 'server-1',
            completions: [{ id: job.id, leaseToken: job.leaseToken, outcome: { state: 'succeeded', result: i, reason: 'done' } }],
          });
          const requeue = operator!.jobSetState({ id: job.id, expected: ['processing'], state: 'enqueued', reason: 'requeue' });
          const [completed, requeued] = await Promise.all([complete, requeue]);
          return { completed: completed.results[0]!.ok, requeued: requeued.ok };
        }),
      );
      for (const outcome of outcomes) expect(outcome.completed !== outcome.requeued).toBe(true);
      const succeeded = outcomes.filter((o) => o.completed).length;
      await h.expectCounts({ succeeded, enqueued: 20 - succeeded });
      await h.verify();
    });
  });
}
