import { describe, expect, it } from 'vitest';

import type { JobSetStateParams } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { LEASE_MS, RETENTION_MS, testError, useHarness } from './harness.js';

/** Tests of `jobSetState`: compare-and-set, history, lease guards, resetAttempts, expiry. */
export function stateChangesTests(target: ConformanceTarget): void {
  describe('jobSetState', () => {
    const h = useHarness(target);

    function setState(params: Omit<JobSetStateParams, 'reason'> & { reason?: string }) {
      return h.storage.jobSetState({ reason: 'By the test', ...params });
    }

    it('deletes an enqueued job, recording the reason and data', async () => {
      const id = await h.createOne();
      h.clock.advance(1_000);
      expect(await setState({ id, expected: ['enqueued', 'scheduled'], state: 'deleted', reason: 'Deleted by operator', data: { by: 'alice' } })).toEqual({
        ok: true,
        previous: 'enqueued',
      });
      const job = await h.get(id);
      expect(job.state).toBe('deleted');
      expect(job.finishedAt).toEqual(new Date(h.now()));
      expect(job.expiresAt).toEqual(new Date(h.now() + RETENTION_MS));
      expect(job.updatedAt).toEqual(new Date(h.now()));
      const last = (await h.history(id)).at(-1)!;
      expect(last).toMatchObject({ state: 'deleted', reason: 'Deleted by operator', data: { by: 'alice' } });
      expect(last.at).toEqual(new Date(h.now()));
      await h.expectCounts({ deleted: 1 });
      await h.verify();
    });

    it('changes nothing and adds no history when the job is not in an expected state', async () => {
      const id = await h.createOne();
      const before = await h.get(id);
      h.clock.advance(1_000);
      expect(await setState({ id, expected: ['failed', 'succeeded'], state: 'deleted' })).toEqual({ ok: false, previous: 'enqueued' });
      expect(await h.get(id)).toEqual(before);
      expect(await h.historyStates(id)).toEqual(['enqueued']);
      await h.expectCounts({ enqueued: 1 });
    });

    it('refuses a transition that is not in TRANSITIONS even when the state is expected', async () => {
      const scheduled = await h.createOne(h.scheduledJob(60_000));
      const enqueued = await h.createOne();
      expect(await setState({ id: scheduled, expected: ['scheduled'], state: 'failed', error: testError() })).toEqual({ ok: false, previous: 'scheduled' });
      expect(await setState({ id: enqueued, expected: ['enqueued'], state: 'enqueued' })).toEqual({ ok: false, previous: 'enqueued' });
      expect(await h.historyStates(scheduled)).toEqual(['scheduled']);
      expect(await h.historyStates(enqueued)).toEqual(['enqueued']);
      expect((await h.get(scheduled)).error).toBeNull();
      await h.expectCounts({ scheduled: 1, enqueued: 1 });
    });

    it('reports an unknown job with previous null', async () => {
      const id = h.ids.next();
      expect(await setState({ id, expected: ['enqueued'], state: 'deleted' })).toEqual({ ok: false, previous: null });
      expect(await h.storage.jobGet({ id })).toBeNull();
    });

    it('ends the lease of a processing job it requeues or deletes', async () => {
      const requeued = await h.running();
      expect(await setState({ id: requeued.id, expected: ['processing'], state: 'enqueued' })).toEqual({ ok: true, previous: 'processing' });
      expect((await h.get(requeued.id)).leaseExpiresAt).toBeNull();
      expect(await h.succeed(requeued)).toBe(false);
      expect(await h.storage.jobProgressSet({ id: requeued.id, leaseToken: requeued.leaseToken, progress: 1 })).toBe(false);
      expect((await h.storage.jobLeaseExtend({ leases: [{ id: requeued.id, leaseToken: requeued.leaseToken }], leaseMs: LEASE_MS })).lost).toEqual([requeued.id]);
      expect(await h.stateOf(requeued.id)).toBe('enqueued');

      const deleted = await h.running({ queue: 'other' });
      expect(await setState({ id: deleted.id, expected: ['processing'], state: 'deleted' })).toEqual({ ok: true, previous: 'processing' });
      expect(await h.fail(deleted)).toBe(false);
      expect(await h.stateOf(deleted.id)).toBe('deleted');
      h.clock.advance(LEASE_MS);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).toEqual({ requeued: [], failed: [] });
      await h.verify();
    });

    it('fails a job with the given error', async () => {
      const job = await h.running();
      expect(await setState({ id: job.id, expected: ['processing'], state: 'failed', error: testError('operator') })).toEqual({ ok: true, previous: 'processing' });
      expect(await h.get(job.id)).toMatchObject({ state: 'failed', error: testError('operator'), expiresAt: null });
      await h.verify();
    });

    it('resets attempts and rescues when asked', async () => {
      const job = await h.running();
      h.clock.advance(LEASE_MS);
      await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 });
      const second = await h.fetchOne();
      expect(await h.fail(second)).toBe(true);
      expect(await h.get(job.id)).toMatchObject({ attempt: 2, rescues: 1 });
      expect(await setState({ id: job.id, expected: ['failed'], state: 'enqueued', resetAttempts: true })).toEqual({ ok: true, previous: 'failed' });
      expect(await h.get(job.id)).toMatchObject({ state: 'enqueued', attempt: 0, rescues: 0 });
      expect((await h.fetchOne()).attempt).toBe(1);
      await h.verify();
    });

    it('keeps attempts when not asked to reset them', async () => {
      const job = await h.running();
      expect(await h.fail(job)).toBe(true);
      expect((await setState({ id: job.id, expected: ['failed'], state: 'enqueued' })).ok).toBe(true);
      expect((await h.get(job.id)).attempt).toBe(1);
      expect((await h.fetchOne()).attempt).toBe(2);
    });

    it('clears the expiry of a succeeded or deleted job it requeues', async () => {
      const job = await h.running();
      expect(await h.succeed(job)).toBe(true);
      expect((await h.get(job.id)).expiresAt).not.toBeNull();
      expect((await setState({ id: job.id, expected: ['succeeded'], state: 'enqueued' })).ok).toBe(true);
      expect((await h.get(job.id)).expiresAt).toBeNull();

      const deleted = await h.createOne({ queue: 'other' });
      expect((await setState({ id: deleted, expected: ['enqueued'], state: 'deleted' })).ok).toBe(true);
      expect((await h.get(deleted)).expiresAt).not.toBeNull();
      expect((await setState({ id: deleted, expected: ['deleted'], state: 'enqueued' })).ok).toBe(true);
      expect(await h.get(deleted)).toMatchObject({ state: 'enqueued', expiresAt: null });
      h.clock.advance(RETENTION_MS * 2);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 0 });
      await h.verify();
    });

    it('deletes a job only once', async () => {
      const id = await h.createOne();
      const everyState = ['scheduled', 'enqueued', 'awaiting', 'processing', 'succeeded', 'failed', 'deleted'] as const;
      expect((await setState({ id, expected: everyState, state: 'deleted' })).ok).toBe(true);
      expect(await setState({ id, expected: everyState, state: 'deleted' })).toEqual({ ok: false, previous: 'deleted' });
      expect(await h.historyStates(id)).toEqual(['enqueued', 'deleted']);
    });
  });
}
