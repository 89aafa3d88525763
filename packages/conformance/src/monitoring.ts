import { describe, expect, it } from 'vitest';

import type { JobRecord, JobsListParams } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import type { Harness } from './harness.js';
import { LEASE_MS, RETENTION_MS, SERVER, testError, useHarness } from './harness.js';
import { listAllJobs } from './list-all-jobs.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Ids of one jobsList page. */
async function page(h: Harness, params: Partial<JobsListParams> = {}): Promise<{ ids: string[]; nextCursor: string | null }> {
  const { jobs, nextCursor } = await h.storage.monitoring.jobsList({ limit: 100, ...params });
  return { ids: jobs.map((j: JobRecord) => j.id), nextCursor };
}

/** Newest first: ids are UUIDv7, so descending id order. */
function newestFirst(ids: string[]): string[] {
  return [...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/** Tests of the monitoring read model: stats, jobsList, jobDetails and timeSeries. */
export function monitoringTests(target: ConformanceTarget): void {
  describe('monitoring: stats', () => {
    const h = useHarness(target);

    it('starts at zero', async () => {
      expect(await h.storage.monitoring.stats()).toEqual({
        states: { scheduled: 0, enqueued: 0, awaiting: 0, processing: 0, succeeded: 0, failed: 0, deleted: 0 },
        servers: 0,
        recurring: 0,
      });
    });

    it('follows every kind of transition', async () => {
      const [a, b, c, d, e] = await h.create({}, {}, {}, {}, {});
      const scheduled = await h.createOne(h.scheduledJob(1_000));
      const child = await h.createOne(h.continuation(a!, 'succeeded', { queue: 'children' }));
      await h.expectCounts({ enqueued: 5, scheduled: 1, awaiting: 1 });

      const fetched = await h.fetch({ limit: 4 });
      const byId = new Map(fetched.map((j) => [j.id, j]));
      await h.expectCounts({ enqueued: 1, processing: 4, scheduled: 1, awaiting: 1 });

      expect(await h.succeed(byId.get(a!)!)).toBe(true);
      await h.expectCounts({ enqueued: 2, processing: 3, scheduled: 1, succeeded: 1 });

      expect(await h.fail(byId.get(b!)!)).toBe(true);
      expect(await h.complete(byId.get(c!)!, { state: 'scheduled', runAt: new Date(h.now() + 500), error: testError(), reason: 'retry' })).toBe(true);
      await h.expectCounts({ enqueued: 2, processing: 1, scheduled: 2, succeeded: 1, failed: 1 });

      expect((await h.storage.jobSetState({ id: e!, expected: ['enqueued'], state: 'deleted', reason: 'x' })).ok).toBe(true);
      expect((await h.storage.jobSetState({ id: b!, expected: ['failed'], state: 'enqueued', reason: 'retry' })).ok).toBe(true);
      await h.expectCounts({ enqueued: 2, processing: 1, scheduled: 2, succeeded: 1, deleted: 1 });

      h.clock.advance(LEASE_MS);
      expect((await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).requeued).toEqual([d]);
      await h.expectCounts({ enqueued: 3, scheduled: 2, succeeded: 1, deleted: 1 });

      expect((await h.storage.scheduledPromoteDue({ limit: 10 })).promoted).toBe(2);
      await h.expectCounts({ enqueued: 5, succeeded: 1, deleted: 1 });

      h.clock.advance(RETENTION_MS);
      expect(await h.storage.jobsExpire({ limit: 10 })).toEqual({ deleted: 2 });
      await h.expectCounts({ enqueued: 5 });
      expect((await listAllJobs(h.storage)).map((j) => j.id).sort()).toEqual([b!, c!, d!, scheduled, child].sort());
      await h.verify();
    });

    it('counts every job of a large batch', async () => {
      const jobs = Array.from({ length: 250 }, (_, i) => (i % 5 === 0 ? h.scheduledJob(1_000 + i) : h.job({ queue: `q${i % 3}` })));
      await h.storage.jobsCreate({ jobs });
      await h.expectCounts({ enqueued: 200, scheduled: 50 });
    });
  });

  describe('monitoring: jobsList', () => {
    const h = useHarness(target);

    it('lists every job newest first', async () => {
      const ids = await h.create({}, {}, {});
      h.clock.advance(1_000);
      ids.push(...(await h.create({ queue: 'other' }, h.scheduledJob(1_000))));
      const { ids: listed, nextCursor } = await page(h);
      expect(listed).toEqual(newestFirst(ids));
      expect(nextCursor).toBeNull();
    });

    it('returns full records', async () => {
      const id = await h.createOne({ name: 'mail.send', args: { to: 'x' }, parameters: { p: 1 } });
      const { jobs } = await h.storage.monitoring.jobsList({ limit: 10 });
      expect(jobs).toEqual([await h.get(id)]);
    });

    it('filters by state, queue and name, alone and together', async () => {
      const [mailA, mailB] = await h.create({ name: 'mail', queue: 'q1' }, { name: 'mail', queue: 'q2' });
      const [sms] = await h.create({ name: 'sms', queue: 'q1' });
      const scheduled = await h.createOne(h.scheduledJob(1_000, { name: 'mail', queue: 'q1' }));
      expect((await page(h, { state: 'scheduled' })).ids).toEqual([scheduled]);
      expect((await page(h, { state: 'enqueued' })).ids.sort()).toEqual([mailA!, mailB!, sms!].sort());
      expect((await page(h, { queue: 'q1' })).ids).toEqual(newestFirst([mailA!, sms!, scheduled]));
      expect((await page(h, { name: 'mail' })).ids).toEqual(newestFirst([mailA!, mailB!, scheduled]));
      expect((await page(h, { name: 'mail', queue: 'q1', state: 'enqueued' })).ids).toEqual([mailA]);
      expect((await page(h, { state: 'failed' })).ids).toEqual([]);
      expect((await page(h, { queue: 'missing' })).ids).toEqual([]);
      expect((await page(h, { name: 'mai' })).ids).toEqual([]);
    });

    it('searches by exact id and by substring of the name or the arguments', async () => {
      const [welcome, invoice, other] = await h.create(
        { name: 'mail.welcome', args: { to: 'alice@example.com' } },
        { name: 'billing.invoice', args: { customer: 'bob', amount: 1250 } },
        { name: 'other', args: ['plain'] },
      );
      expect((await page(h, { search: welcome! })).ids).toEqual([welcome]);
      expect((await page(h, { search: 'welcome' })).ids).toEqual([welcome]);
      expect((await page(h, { search: 'billing.inv' })).ids).toEqual([invoice]);
      expect((await page(h, { search: 'alice@example' })).ids).toEqual([welcome]);
      expect((await page(h, { search: '1250' })).ids).toEqual([invoice]);
      expect((await page(h, { search: 'plain' })).ids).toEqual([other]);
      expect((await page(h, { search: 'nowhere-to-be-found' })).ids).toEqual([]);
      expect((await page(h, { search: 'bob', state: 'succeeded' })).ids).toEqual([]);
      expect((await page(h, { search: h.ids.next() })).ids).toEqual([]);
    });

    it('filters by a creation-time window, both ends included', async () => {
      const [early] = await h.create({});
      h.clock.advance(60_000);
      const windowStart = new Date(h.clock.now());
      const [inside] = await h.create({});
      h.clock.advance(60_000);
      const windowEnd = new Date(h.clock.now());
      const [atEnd] = await h.create({});
      h.clock.advance(1);
      const [late] = await h.create({});
      expect((await page(h, { from: windowStart, to: windowEnd })).ids).toEqual([atEnd, inside]);
      expect((await page(h, { from: windowStart })).ids).toEqual([late, atEnd, inside]);
      expect((await page(h, { to: windowStart })).ids).toEqual([inside, early]);
    });

    it('filters by the server that holds the lease', async () => {
      const mine = await h.running({});
      const [waiting] = await h.create({});
      const theirs = (await h.storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 'server-2', leaseMs: 30_000 }))[0]!;
      expect(waiting).toBe(theirs.id);
      expect((await page(h, { serverId: SERVER })).ids).toEqual([mine.id]);
      expect((await page(h, { serverId: 'server-2', state: 'processing' })).ids).toEqual([theirs.id]);
    });

    it('pages through every job by cursor without duplicates or gaps', async () => {
      const ids: string[] = [];
      for (let batch = 0; batch < 5; batch++) {
        ids.push(...(await h.create(...Array.from({ length: 5 }, () => ({})))));
        h.clock.advance(10);
      }
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < 10; n++) {
        const result: { ids: string[]; nextCursor: string | null } = await page(h, { limit: 10, cursor });
        sizes.push(result.ids.length);
        seen.push(...result.ids);
        cursor = result.nextCursor;
        if (cursor === null) break;
      }
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual(newestFirst(ids));
    });

    it('returns no cursor when the last page is exactly full', async () => {
      await h.create({}, {}, {}, {});
      const first = await page(h, { limit: 2 });
      expect(first.nextCursor).not.toBeNull();
      const second = await page(h, { limit: 2, cursor: first.nextCursor });
      expect(second.ids).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
    });

    it('pages with filters, and is not disturbed by jobs created between pages', async () => {
      const wanted = await h.create(...Array.from({ length: 7 }, () => ({ queue: 'wanted' })));
      await h.create(...Array.from({ length: 7 }, () => ({ queue: 'other' })));
      const first = await page(h, { queue: 'wanted', limit: 3 });
      h.clock.advance(10);
      await h.create({ queue: 'wanted' }, { queue: 'wanted' });
      const second = await page(h, { queue: 'wanted', limit: 3, cursor: first.nextCursor });
      const third = await page(h, { queue: 'wanted', limit: 3, cursor: second.nextCursor });
      expect(third.nextCursor).toBeNull();
      expect([...first.ids, ...second.ids, ...third.ids]).toEqual(newestFirst(wanted));
    });

    it('pages by state while jobs change state, listing each remaining job once', async () => {
      const ids = await h.create(...Array.from({ length: 9 }, () => ({})));
      const first = await page(h, { state: 'enqueued', limit: 4 });
      await h.fetch({ limit: 2 });
      const rest: string[] = [];
      let cursor = first.nextCursor;
      while (cursor !== null) {
        const next = await page(h, { state: 'enqueued', limit: 4, cursor });
        rest.push(...next.ids);
        cursor = next.nextCursor;
      }
      const all = [...first.ids, ...rest];
      expect(new Set(all).size).toBe(all.length);
      for (const id of all) expect(ids).toContain(id);
      const stillEnqueued = (await page(h, { state: 'enqueued' })).ids;
      for (const id of stillEnqueued) expect(all).toContain(id);
    });
  });

  describe('monitoring: jobDetails', () => {
    const h = useHarness(target);

    it('returns the job with its history oldest first', async () => {
      const id = await h.createOne({ reason: 'Created' });
      h.clock.advance(1_000);
      const job = await h.fetchOne({ serverId: 'worker-7' });
      h.clock.advance(1_000);
      expect(await h.complete(job, { state: 'succeeded', result: 'ok', reason: 'All good' }, 'worker-7')).toBe(true);
      const details = await h.storage.monitoring.jobDetails({ id });
      expect(details!.job).toEqual(await h.get(id));
      expect(details!.history.map((r) => ({ state: r.state, at: r.at.getTime(), serverId: r.serverId }))).toEqual([
        { state: 'enqueued', at: h.now() - 2_000, serverId: null },
        { state: 'processing', at: h.now() - 1_000, serverId: 'worker-7' },
        { state: 'succeeded', at: h.now(), serverId: 'worker-7' },
      ]);
      expect(details!.history[0]!.reason).toBe('Created');
      expect(details!.history[2]!.reason).toBe('All good');
      expect(details!.logs).toEqual([]);
    });

    it('keeps history records made in the same millisecond in order', async () => {
      const job = await h.running();
      expect(await h.complete(job, { state: 'enqueued', reason: 'back', refundAttempt: false })).toBe(true);
      const again = await h.fetchOne();
      expect(await h.fail(again)).toBe(true);
      expect((await h.storage.jobSetState({ id: job.id, expected: ['failed'], state: 'deleted', reason: 'gone' })).ok).toBe(true);
      expect(await h.historyStates(job.id)).toEqual(['enqueued', 'processing', 'enqueued', 'processing', 'failed', 'deleted']);
      await h.verify();
    });

    it('returns null for an unknown job', async () => {
      expect(await h.storage.monitoring.jobDetails({ id: h.ids.next() })).toBeNull();
    });
  });

  describe('monitoring: timeSeries', () => {
    const h = useHarness(target);

    /** Runs `n` jobs to success (or failure) at the current time. */
    async function finish(n: number, outcome: 'succeeded' | 'failed'): Promise<void> {
      await h.create(...Array.from({ length: n }, () => ({ queue: 'ts' })));
      for (const job of await h.fetch({ queues: ['ts'] })) {
        expect(outcome === 'succeeded' ? await h.succeed(job) : await h.fail(job)).toBe(true);
      }
    }

    it('counts succeeded and failed jobs per hour, one entry per hour, oldest first', async () => {
      const hour0 = Math.floor(h.now() / HOUR) * HOUR;
      await finish(2, 'succeeded');
      await finish(1, 'failed');
      h.clock.set(hour0 + 2 * HOUR + 59 * 60_000);
      await finish(3, 'succeeded');
      const series = await h.storage.monitoring.timeSeries({ bucket: 'hour', from: new Date(hour0 + 10 * 60_000), to: new Date(hour0 + 3 * HOUR) });
      expect(series).toEqual([
        { at: new Date(hour0), succeeded: 2, failed: 1 },
        { at: new Date(hour0 + HOUR), succeeded: 0, failed: 0 },
        { at: new Date(hour0 + 2 * HOUR), succeeded: 3, failed: 0 },
        { at: new Date(hour0 + 3 * HOUR), succeeded: 0, failed: 0 },
      ]);
    });

    it('sums hours into UTC days', async () => {
      const day0 = Math.floor(h.now() / DAY) * DAY;
      await finish(1, 'succeeded');
      h.clock.set(day0 + DAY - 1);
      await finish(1, 'failed');
      h.clock.set(day0 + 2 * DAY + 5 * HOUR);
      await finish(2, 'succeeded');
      const series = await h.storage.monitoring.timeSeries({ bucket: 'day', from: new Date(day0), to: new Date(day0 + 2 * DAY + 23 * HOUR) });
      expect(series).toEqual([
        { at: new Date(day0), succeeded: 1, failed: 1 },
        { at: new Date(day0 + DAY), succeeded: 0, failed: 0 },
        { at: new Date(day0 + 2 * DAY), succeeded: 2, failed: 0 },
      ]);
    });

    it('counts failures that end in the failed state, not retries', async () => {
      const hour0 = Math.floor(h.now() / HOUR) * HOUR;
      const job = await h.running({ queue: 'ts' });
      expect(await h.complete(job, { state: 'scheduled', runAt: new Date(h.now() + 1), error: testError(), reason: 'retry' })).toBe(true);
      const poisoned = await h.running({ queue: 'poison' });
      h.clock.advance(LEASE_MS);
      expect((await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 0 })).failed).toEqual([poisoned.id]);
      const series = await h.storage.monitoring.timeSeries({ bucket: 'hour', from: new Date(hour0), to: new Date(hour0) });
      expect(series).toEqual([{ at: new Date(hour0), succeeded: 0, failed: 1 }]);
    });

    it('keeps counting jobs after they expire', async () => {
      const hour0 = Math.floor(h.now() / HOUR) * HOUR;
      await finish(2, 'succeeded');
      h.clock.advance(RETENTION_MS);
      expect((await h.storage.jobsExpire({ limit: 10 })).deleted).toBe(2);
      const series = await h.storage.monitoring.timeSeries({ bucket: 'hour', from: new Date(hour0), to: new Date(hour0) });
      expect(series).toEqual([{ at: new Date(hour0), succeeded: 2, failed: 0 }]);
    });

    it('returns zero buckets when nothing finished', async () => {
      const hour0 = Math.floor(h.now() / HOUR) * HOUR;
      const series = await h.storage.monitoring.timeSeries({ bucket: 'hour', from: new Date(hour0 - HOUR), to: new Date(hour0) });
      expect(series).toEqual([
        { at: new Date(hour0 - HOUR), succeeded: 0, failed: 0 },
        { at: new Date(hour0), succeeded: 0, failed: 0 },
      ]);
    });
  });
}
