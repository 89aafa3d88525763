import { describe, expect, it } from 'vitest';

import type { ConformanceTarget } from './conformance-target.js';
import { RETENTION_MS, testError, useHarness } from './harness.js';

/** Tests of `jobsComplete`: every outcome, lease-token guards, batches. */
export function completeTests(target: ConformanceTarget): void {
  describe('jobsComplete', () => {
    const h = useHarness(target);

    it('records success with its result, finish time and expiry, and ends the lease', async () => {
      const job = await h.running();
      h.clock.advance(2_000);
      const result = await h.storage.jobsComplete({
        completions: [{ id: job.id, leaseToken: job.leaseToken, outcome: { state: 'succeeded', result: { sent: 3, ok: true }, reason: 'Done' } }],
        serverId: 'server-x',
      });
      expect(result.results).toEqual([{ id: job.id, ok: true }]);
      const stored = await h.get(job.id);
      expect(stored).toMatchObject({ state: 'succeeded', result: { sent: 3, ok: true }, leaseExpiresAt: null, attempt: 1 });
      expect(stored.finishedAt).toEqual(new Date(h.now()));
      expect(stored.expiresAt).toEqual(new Date(h.now() + RETENTION_MS));
      const last = (await h.history(job.id)).at(-1)!;
      expect(last).toMatchObject({ state: 'succeeded', reason: 'Done', serverId: 'server-x' });
      expect(last.at).toEqual(new Date(h.now()));
      await h.expectCounts({ succeeded: 1 });
      await h.verify();
    });

    it('keeps a succeeded job without retention forever', async () => {
      const job = await h.running({ retentionMs: null });
      expect(await h.succeed(job)).toBe(true);
      expect((await h.get(job.id)).expiresAt).toBeNull();
    });

    it('records failure with its error and no expiry', async () => {
      const job = await h.running();
      const error = { name: 'TypeError', message: 'bad', code: 'ERR_X', stack: 'at x', cause: { name: 'Error', message: 'root' } };
      expect(await h.fail(job, error)).toBe(true);
      const stored = await h.get(job.id);
      expect(stored).toMatchObject({ state: 'failed', error, leaseExpiresAt: null });
      expect(stored.finishedAt).toEqual(new Date(h.now()));
      expect(stored.expiresAt).toBeNull();
      expect((await h.history(job.id)).at(-1)).toMatchObject({ state: 'failed', reason: 'Failed' });
      await h.expectCounts({ failed: 1 });
      await h.verify();
    });

    it('schedules a retry with its due time and error', async () => {
      const job = await h.running();
      const runAt = new Date(h.now() + 15_000);
      expect(await h.complete(job, { state: 'scheduled', runAt, error: testError('retry me'), reason: 'Retry 1' })).toBe(true);
      const stored = await h.get(job.id);
      expect(stored).toMatchObject({ state: 'scheduled', runAt, error: testError('retry me'), leaseExpiresAt: null, expiresAt: null });
      await h.expectCounts({ scheduled: 1 });
      expect(await h.fetch()).toEqual([]);
      h.clock.advance(15_000);
      expect((await h.storage.scheduledPromoteDue({ limit: 10 })).promoted).toBe(1);
      expect((await h.fetchOne()).attempt).toBe(2);
      await h.verify();
    });

    it('snoozes a job to its due time without counting the attempt or recording an error', async () => {
      const job = await h.running();
      const runAt = new Date(h.now() + 15_000);
      expect(await h.complete(job, { state: 'scheduled', runAt, reason: 'Snoozed', snoozed: true })).toBe(true);
      expect(await h.get(job.id)).toMatchObject({ state: 'scheduled', runAt, attempt: 0, error: null, leaseExpiresAt: null, expiresAt: null });
      expect((await h.history(job.id)).at(-1)).toMatchObject({ state: 'scheduled', reason: 'Snoozed', data: { runAt: runAt.toISOString(), snoozed: true } });
      // Sent again (the answer was lost): recognised, nothing written twice.
      expect(await h.complete(job, { state: 'scheduled', runAt, reason: 'Snoozed', snoozed: true })).toBe(true);
      await h.expectCounts({ scheduled: 1 });
      h.clock.advance(15_000);
      expect((await h.storage.scheduledPromoteDue({ limit: 10 })).promoted).toBe(1);
      expect((await h.fetchOne()).attempt).toBe(1);
      await h.verify();
    });

    it('returns a job to the queue, refunding the attempt when asked', async () => {
      const job = await h.running();
      expect(await h.complete(job, { state: 'enqueued', reason: 'Shutdown', refundAttempt: true })).toBe(true);
      const stored = await h.get(job.id);
      expect(stored).toMatchObject({ state: 'enqueued', attempt: 0, leaseExpiresAt: null });
      expect((await h.fetchOne()).attempt).toBe(1);
      await h.verify();
    });

    it('returns a job to the queue keeping the attempt when not refunded', async () => {
      const job = await h.running();
      expect(await h.complete(job, { state: 'enqueued', reason: 'Again', refundAttempt: false })).toBe(true);
      expect((await h.get(job.id)).attempt).toBe(1);
      expect((await h.fetchOne()).attempt).toBe(2);
    });

    it('refuses a stale lease token and changes nothing', async () => {
      const job = await h.running();
      const before = await h.get(job.id);
      const history = await h.history(job.id);
      h.clock.advance(1_000);
      expect(await h.succeed({ id: job.id, leaseToken: 'not-the-token' })).toBe(false);
      expect(await h.get(job.id)).toEqual(before);
      expect(await h.history(job.id)).toEqual(history);
      await h.expectCounts({ processing: 1 });
      expect(await h.succeed(job)).toBe(true);
    });

    it('answers a repeated completion of the same lease as done, writing nothing again', async () => {
      // A server that lost its connection while its write committed sends the same batch again.
      await h.create({}, {}, {});
      const [a, b, c] = await h.fetch();
      const batch = [
        { id: a!.id, leaseToken: a!.leaseToken, outcome: { state: 'succeeded', result: 1, reason: 'Done' } },
        { id: b!.id, leaseToken: b!.leaseToken, outcome: { state: 'failed', error: testError(), reason: 'Failed' } },
        { id: c!.id, leaseToken: c!.leaseToken, outcome: { state: 'scheduled', runAt: new Date(h.now() + 60_000), error: testError(), reason: 'Retry' } },
      ] as const;
      const first = await h.storage.jobsComplete({ completions: [...batch], serverId: 'server-1' });
      expect(first.results.map((r) => r.ok)).toEqual([true, true, true]);
      const stored = await Promise.all([a, b, c].map((j) => h.get(j!.id)));
      const histories = await Promise.all([a, b, c].map((j) => h.history(j!.id)));
      const counts = await h.counts();
      h.clock.advance(1_000);
      const events = h.record();
      const again = await h.storage.jobsComplete({ completions: [...batch], serverId: 'server-1' });
      expect(again.results).toEqual([a, b, c].map((j) => ({ id: j!.id, ok: true })));
      expect(await Promise.all([a, b, c].map((j) => h.get(j!.id)))).toEqual(stored);
      expect(await Promise.all([a, b, c].map((j) => h.history(j!.id)))).toEqual(histories);
      expect(await h.counts()).toEqual(counts);
      expect(await h.succeed(a!)).toBe(true);
      expect(await h.get(a!.id)).toEqual(stored[0]);
      expect(events.filter((e) => e.type === 'job-state')).toEqual([]);
      await h.verify();
    });

    it('refuses a repeated completion once someone else changed the job', async () => {
      const requeued = await h.running();
      expect(await h.succeed(requeued, 1)).toBe(true);
      expect((await h.storage.jobSetState({ id: requeued.id, expected: ['succeeded'], state: 'enqueued', reason: 'Requeued' })).ok).toBe(true);
      expect(await h.succeed(requeued, 1)).toBe(false);
      expect(await h.stateOf(requeued.id)).toBe('enqueued');

      // Back in the state the completion asked for, but by someone else's changes.
      const returned = await h.running({ queue: 'returned' });
      expect(await h.complete(returned, { state: 'enqueued', reason: 'Shutdown', refundAttempt: true })).toBe(true);
      expect((await h.storage.jobSetState({ id: returned.id, expected: ['enqueued'], state: 'deleted', reason: 'Deleted' })).ok).toBe(true);
      expect((await h.storage.jobSetState({ id: returned.id, expected: ['deleted'], state: 'enqueued', reason: 'Requeued' })).ok).toBe(true);
      const history = await h.history(returned.id);
      expect(await h.complete(returned, { state: 'enqueued', reason: 'Shutdown', refundAttempt: true })).toBe(false);
      expect(await h.history(returned.id)).toEqual(history);
      await h.verify();
    });

    it('refuses a second completion of the same lease with another outcome', async () => {
      const job = await h.running();
      expect(await h.succeed(job, 1)).toBe(true);
      expect(await h.fail(job)).toBe(false);
      expect(await h.get(job.id)).toMatchObject({ state: 'succeeded', result: 1, error: null });
      expect(await h.historyStates(job.id)).toEqual(['enqueued', 'processing', 'succeeded']);
    });

    it('refuses jobs that are unknown or not processing', async () => {
      const enqueued = await h.createOne();
      expect(await h.succeed({ id: enqueued, leaseToken: 'x' })).toBe(false);
      expect(await h.succeed({ id: h.ids.next(), leaseToken: 'x' })).toBe(false);
      await h.expectCounts({ enqueued: 1 });
    });

    it('completes a batch in one call, each completion guarded on its own', async () => {
      await h.create({}, {}, {});
      const [a, b, c] = await h.fetch();
      const unknown = h.ids.next();
      const result = await h.storage.jobsComplete({
        serverId: 'server-1',
        completions: [
          { id: a!.id, leaseToken: a!.leaseToken, outcome: { state: 'succeeded', result: 'a', reason: 'ok' } },
          { id: b!.id, leaseToken: 'stale', outcome: { state: 'succeeded', result: 'b', reason: 'ok' } },
          { id: unknown, leaseToken: 'x', outcome: { state: 'succeeded', result: null, reason: 'ok' } },
          { id: c!.id, leaseToken: c!.leaseToken, outcome: { state: 'failed', error: testError(), reason: 'no' } },
        ],
      });
      expect(result.results).toEqual([
        { id: a!.id, ok: true },
        { id: b!.id, ok: false },
        { id: unknown, ok: false },
        { id: c!.id, ok: true },
      ]);
      await h.expectCounts({ succeeded: 1, processing: 1, failed: 1 });
      await h.verify();
    });

    it('accepts an empty batch', async () => {
      expect(await h.storage.jobsComplete({ completions: [], serverId: 'server-1' })).toEqual({ results: [] });
    });
  });
}
