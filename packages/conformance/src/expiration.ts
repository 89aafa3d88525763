import { describe, expect, it } from 'vitest';

import type { ConformanceTarget } from './conformance-target.js';
import { RETENTION_MS, useHarness } from './harness.js';

/** Tests of `jobExpirationSet` and `jobsExpire`: retention, persist, only expiring states. */
export function expirationTests(target: ConformanceTarget): void {
  describe('expiration', () => {
    const h = useHarness(target);

    it('removes a succeeded job once its retention has passed, with its history and logs', async () => {
      const job = await h.running();
      await h.storage.jobLogsAppend({ entries: [{ jobId: job.id, attempt: 1, level: 'info', message: 'hello', at: new Date(h.now()) }] });
      expect(await h.succeed(job)).toBe(true);
      h.clock.advance(RETENTION_MS - 1);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 0 });
      expect(await h.stateOf(job.id)).toBe('succeeded');
      h.clock.advance(1);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 1 });
      expect(await h.storage.jobGet({ id: job.id })).toBeNull();
      expect(await h.storage.monitoring.jobDetails({ id: job.id })).toBeNull();
      await h.expectCounts({});
      await h.verify();
    });

    it('removes a deleted job once its retention has passed', async () => {
      const id = await h.createOne({ retentionMs: 1_000 });
      expect((await h.storage.jobSetState({ id, expected: ['enqueued'], state: 'deleted', reason: 'Deleted' })).ok).toBe(true);
      h.clock.advance(1_000);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 1 });
      expect(await h.storage.jobGet({ id })).toBeNull();
      await h.expectCounts({});
    });

    it('never removes jobs in states that do not expire', async () => {
      await h.createOne({ retentionMs: 1 });
      await h.createOne(h.scheduledJob(RETENTION_MS * 100, { retentionMs: 1 }));
      const parent = await h.createOne({ queue: 'parents', retentionMs: 1 });
      await h.createOne(h.continuation(parent, 'succeeded', { retentionMs: 1 }));
      await h.running({ queue: 'running', retentionMs: 1 });
      const failed = await h.running({ queue: 'failing', retentionMs: 1 });
      expect(await h.fail(failed)).toBe(true);
      await h.storage.jobExpirationSet({ id: failed.id, ttlMs: 1 });
      h.clock.advance(RETENTION_MS * 10);
      expect(await h.storage.jobsExpire({ limit: 100 })).toEqual({ deleted: 0 });
      await h.expectCounts({ enqueued: 2, scheduled: 1, awaiting: 1, processing: 1, failed: 1 });
    });

    it('keeps a job with no retention forever', async () => {
      const job = await h.running({ retentionMs: null });
      expect(await h.succeed(job)).toBe(true);
      h.clock.advance(RETENTION_MS * 1_000);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 0 });
      expect(await h.stateOf(job.id)).toBe('succeeded');
    });

    it('persists a finished job when its expiry is set to null', async () => {
      const job = await h.running();
      expect(await h.succeed(job)).toBe(true);
      expect(await h.storage.jobExpirationSet({ id: job.id, ttlMs: null })).toBe(true);
      expect((await h.get(job.id)).expiresAt).toBeNull();
      h.clock.advance(RETENTION_MS * 2);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 0 });
      expect(await h.stateOf(job.id)).toBe('succeeded');
    });

    it('persists a job across later finishes when its expiry is set to null before it finishes', async () => {
      const id = await h.createOne();
      expect(await h.storage.jobExpirationSet({ id, ttlMs: null })).toBe(true);
      const job = await h.fetchOne();
      expect(await h.succeed(job)).toBe(true);
      expect((await h.get(id)).expiresAt).toBeNull();
      h.clock.advance(RETENTION_MS * 2);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 0 });
    });

    it('sets a finished job to expire ttl from now', async () => {
      const job = await h.running();
      expect(await h.succeed(job)).toBe(true);
      h.clock.advance(1_000);
      expect(await h.storage.jobExpirationSet({ id: job.id, ttlMs: 5_000 })).toBe(true);
      expect((await h.get(job.id)).expiresAt).toEqual(new Date(h.now() + 5_000));
      h.clock.advance(4_999);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 0 });
      h.clock.advance(1);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 1 });
    });

    it('makes a job that has not finished expire ttl after it finishes', async () => {
      const id = await h.createOne();
      expect(await h.storage.jobExpirationSet({ id, ttlMs: 5_000 })).toBe(true);
      expect((await h.get(id)).expiresAt).toBeNull();
      const job = await h.fetchOne();
      h.clock.advance(60_000);
      expect(await h.succeed(job)).toBe(true);
      expect((await h.get(id)).expiresAt).toEqual(new Date(h.now() + 5_000));
    });

    it('returns false when setting the expiry of an unknown job', async () => {
      expect(await h.storage.jobExpirationSet({ id: h.ids.next(), ttlMs: 1_000 })).toBe(false);
      expect(await h.storage.jobExpirationSet({ id: h.ids.next(), ttlMs: null })).toBe(false);
    });

    it('removes at most limit jobs per call', async () => {
      await h.create({ retentionMs: 1 }, { retentionMs: 1 }, { retentionMs: 1 });
      for (const job of await h.fetch()) expect(await h.succeed(job)).toBe(true);
      h.clock.advance(1);
      expect(await h.storage.jobsExpire({ limit: 2 })).toEqual({ deleted: 2 });
      expect(await h.storage.jobsExpire({ limit: 2 })).toEqual({ deleted: 1 });
      expect(await h.storage.jobsExpire({ limit: 2 })).toEqual({ deleted: 0 });
      await h.expectCounts({});
    });

    it('does not remove a job requeued before its expiry', async () => {
      const job = await h.running({ retentionMs: 1_000 });
      expect(await h.succeed(job)).toBe(true);
      expect((await h.storage.jobSetState({ id: job.id, expected: ['succeeded'], state: 'enqueued', reason: 'Again' })).ok).toBe(true);
      h.clock.advance(2_000);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 0 });
      expect(await h.stateOf(job.id)).toBe('enqueued');
    });
  });
}
