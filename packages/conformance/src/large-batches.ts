import { describe, expect, it } from 'vitest';

import { Spool } from '@spool/core';
import type { CompletionOutcome, FlowStorage } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

/** The size of batch users are told works on every storage. */
export const LARGE_BATCH = 100_000;
/** Jobs fetched and recorded per round of the burn-down, as a server's completion batches would. */
const ROUND = 1_000;
/** Every how many members one fails, so the counters have both outcomes to count. */
const FAIL_EVERY = 1_000;
/**
 * Bounds the test, not its speed (nothing below asserts a time): on a shared two-core machine the
 * slowest storage took 26 s; a storage far past this bound has something quadratic to find.
 */
const LARGE_BATCH_TIMEOUT_MS = 120_000;

/**
 * A batch of 100,000 jobs made through `spool.batch`, burnt down through the storage, with its
 * counters and its continuation checked: the size the batch documentation promises on every storage
 * that has batches (a storage without them skips it).
 */
export function largeBatchesTests(target: ConformanceTarget): void {
  describe('batches of 100,000 jobs', () => {
    const h = useHarness(target);

    it(
      'creates a batch of 100,000 jobs, counts every member\'s outcome and runs its continuation once',
      async () => {
        if (!h.storage.capabilities.batches) return;
        const flows: FlowStorage = h.storage.flows!;
        const spool = new Spool({ storage: h.storage }, { clock: h.clock });
        let thenId = '';
        const batchId = await spool.batch(
          (b) => {
            for (let n = 0; n < LARGE_BATCH; n++) b.enqueue('test.job', { n }, { queue: 'members', attempts: 1, timeout: null });
            thenId = b.then('test.job', { then: true }, { queue: 'then', attempts: 1, timeout: null, on: 'finished' });
          },
          { description: 'large' },
        );
        expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: LARGE_BATCH, finished: 0, succeeded: 0, failed: 0, finishedAt: null });
        await h.expectCounts({ enqueued: LARGE_BATCH, awaiting: 1 });
        // The batch's page reads one page of its members, whatever their number.
        expect((await flows.batchJobs({ batchId, limit: 50 })).jobs).toHaveLength(50);

        let recorded = 0;
        for (;;) {
          const fetched = await h.fetch({ queues: ['members'], limit: ROUND });
          if (fetched.length === 0) break;
          const completions = fetched.map((job) => {
            const n = (job.args as { n: number }).n;
            const outcome: CompletionOutcome =
              n % FAIL_EVERY === 0
                ? { state: 'failed', error: { name: 'Error', message: `member ${n} failed` }, reason: 'No attempts left' }
                : { state: 'succeeded', result: null, reason: 'Succeeded' };
            return { id: job.id, leaseToken: job.leaseToken, outcome };
          });
          await h.storage.jobsComplete({ completions, serverId: 'server-1' });
          recorded += fetched.length;
          // The continuation waits until the last member is recorded.
          if (recorded < LARGE_BATCH) expect((await h.get(thenId)).state).toBe('awaiting');
        }
        expect(recorded).toBe(LARGE_BATCH);

        const failed = LARGE_BATCH / FAIL_EVERY;
        const batch = await flows.batchGet({ id: batchId });
        expect(batch).toMatchObject({ total: LARGE_BATCH, finished: LARGE_BATCH, succeeded: LARGE_BATCH - failed, failed });
        expect(batch!.finishedAt).not.toBeNull();
        expect(await h.historyStates(thenId)).toEqual(['awaiting', 'enqueued']);
        const [then, ...more] = await h.fetch({ queues: ['then'], limit: 10 });
        expect(then?.id).toBe(thenId);
        expect(more).toEqual([]);
        await h.expectCounts({ succeeded: LARGE_BATCH - failed, failed, processing: 1 });
      },
      LARGE_BATCH_TIMEOUT_MS,
    );
  });
}
