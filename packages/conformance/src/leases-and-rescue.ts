import { describe, expect, it } from 'vitest';

import type { ConformanceTarget } from './conformance-target.js';
import { LEASE_MS, useHarness } from './harness.js';

/** Tests of `jobLeaseExtend` and `leasesRescueExpired`: lease ownership, rescue and poison pills. */
export function leasesAndRescueTests(target: ConformanceTarget): void {
  describe('jobLeaseExtend', () => {
    const h = useHarness(target);

    it('extends the leases of running jobs from now', async () => {
      await h.create({}, {});
      const [a, b] = await h.fetch();
      h.clock.advance(10_000);
      const result = await h.storage.jobLeaseExtend({ leases: [{ id: a!.id, leaseToken: a!.leaseToken }, { id: b!.id, leaseToken: b!.leaseToken }], leaseMs: 60_000 });
      expect(result.lost).toEqual([]);
      expect((await h.get(a!.id)).leaseExpiresAt).toEqual(new Date(h.now() + 60_000));
      expect((await h.get(b!.id)).leaseExpiresAt).toEqual(new Date(h.now() + 60_000));
    });

    it('reports leases that are not owned: stale token, unknown job, job not processing', async () => {
      const running = await h.running();
      const enqueued = await h.createOne({ queue: 'other' });
      const unknown = h.ids.next();
      const before = await h.get(running.id);
      const result = await h.storage.jobLeaseExtend({
        leases: [
          { id: running.id, leaseToken: 'stale' },
          { id: unknown, leaseToken: 'x' },
          { id: enqueued, leaseToken: 'x' },
        ],
        leaseMs: 60_000,
      });
      expect(result.lost.sort()).toEqual([running.id, unknown, enqueued].sort());
      expect(await h.get(running.id)).toEqual(before);
      expect(await h.storage.jobGet({ id: unknown })).toBeNull();
    });

    it('accepts an empty list', async () => {
      expect(await h.storage.jobLeaseExtend({ leases: [], leaseMs: 1_000 })).toEqual({ lost: [] });
    });

    it('keeps an extended lease from being rescued at its old expiry', async () => {
      const job = await h.running();
      h.clock.advance(LEASE_MS - 1_000);
      expect((await h.storage.jobLeaseExtend({ leases: [{ id: job.id, leaseToken: job.leaseToken }], leaseMs: LEASE_MS })).lost).toEqual([]);
      h.clock.advance(1_000);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).toEqual({ requeued: [], failed: [] });
      expect(await h.succeed(job)).toBe(true);
    });
  });

  describe('leasesRescueExpired', () => {
    const h = useHarness(target);

    it('leaves leases that have not expired', async () => {
      const job = await h.running();
      h.clock.advance(LEASE_MS - 1);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).toEqual({ requeued: [], failed: [] });
      expect(await h.stateOf(job.id)).toBe('processing');
    });

    it('returns a job whose lease expired to the queue, counting the rescue', async () => {
      const job = await h.running();
      h.clock.advance(LEASE_MS);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).toEqual({ requeued: [job.id], failed: [] });
      const stored = await h.get(job.id);
      expect(stored).toMatchObject({ state: 'enqueued', rescues: 1, attempt: 1, leaseExpiresAt: null });
      expect(await h.historyStates(job.id)).toEqual(['enqueued', 'processing', 'enqueued']);
      await h.expectCounts({ enqueued: 1 });
      const again = await h.fetchOne();
      expect(again).toMatchObject({ id: job.id, attempt: 2, rescues: 1 });
      await h.verify();
    });

    it('refuses the old lease token after a rescue, also once the job runs again', async () => {
      const job = await h.running();
      h.clock.advance(LEASE_MS);
      await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 });
      expect(await h.succeed(job)).toBe(false);
      expect(await h.storage.jobProgressSet({ id: job.id, leaseToken: job.leaseToken, progress: 50 })).toBe(false);
      expect((await h.storage.jobLeaseExtend({ leases: [{ id: job.id, leaseToken: job.leaseToken }], leaseMs: LEASE_MS })).lost).toEqual([job.id]);
      const again = await h.fetchOne();
      expect(again.leaseToken).not.toBe(job.leaseToken);
      expect(await h.succeed(job)).toBe(false);
      expect(await h.stateOf(job.id)).toBe('processing');
      expect(await h.succeed(again)).toBe(true);
      await h.verify();
    });

    it('fails a job rescued more than maxRescues times as a poison pill', async () => {
      const id = await h.createOne();
      for (let rescue = 1; rescue <= 2; rescue++) {
        await h.fetchOne();
        h.clock.advance(LEASE_MS);
        expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 2 })).toEqual({ requeued: [id], failed: [] });
        expect((await h.get(id)).rescues).toBe(rescue);
      }
      await h.fetchOne();
      h.clock.advance(LEASE_MS);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 2 })).toEqual({ requeued: [], failed: [id] });
      const stored = await h.get(id);
      expect(stored.state).toBe('failed');
      expect(stored.error?.code).toBe('ERR_LEASE_EXPIRED');
      expect(stored.finishedAt).toEqual(new Date(h.now()));
      expect(stored.leaseExpiresAt).toBeNull();
      await h.expectCounts({ failed: 1 });
      await h.verify();
    });

    it('fails at the first expiry when maxRescues is 0', async () => {
      const job = await h.running();
      h.clock.advance(LEASE_MS);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 0 })).toEqual({ requeued: [], failed: [job.id] });
      expect(await h.stateOf(job.id)).toBe('failed');
    });

    it('rescues at most limit jobs per call', async () => {
      await h.create({}, {}, {});
      await h.fetch();
      h.clock.advance(LEASE_MS);
      const first = await h.storage.leasesRescueExpired({ limit: 2, maxRescues: 3 });
      expect(first.requeued).toHaveLength(2);
      const second = await h.storage.leasesRescueExpired({ limit: 2, maxRescues: 3 });
      expect(second.requeued).toHaveLength(1);
      expect(new Set([...first.requeued, ...second.requeued]).size).toBe(3);
      expect(await h.storage.leasesRescueExpired({ limit: 2, maxRescues: 3 })).toEqual({ requeued: [], failed: [] });
      await h.expectCounts({ enqueued: 3 });
    });

    it('rescues only the jobs whose own lease expired', async () => {
      const short = await h.running();
      h.clock.advance(10_000);
      const long = await h.running();
      h.clock.advance(LEASE_MS - 10_000);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).toEqual({ requeued: [short.id], failed: [] });
      expect(await h.stateOf(long.id)).toBe('processing');
    });

    it('does nothing when no job is processing', async () => {
      await h.create({}, h.scheduledJob(1));
      h.clock.advance(LEASE_MS * 10);
      expect(await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 0 })).toEqual({ requeued: [], failed: [] });
      await h.expectCounts({ enqueued: 1, scheduled: 1 });
    });
  });
}
