import { describe, expect, it } from 'vitest';

import type { FetchedJob } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import type { Harness } from './harness.js';
import { LEASE_MS, useHarness } from './harness.js';

/** Fetches one job at a time until the queues are empty; returns the ids in fetch order. */
async function drainOneByOne(h: Harness, queues: string[] = ['default'], names: readonly string[] | null = null): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const jobs = await h.fetch({ queues, limit: 1, names });
    if (jobs.length === 0) return ids;
    ids.push(jobs[0]!.id);
  }
}


/**
 * The job names a server passes: the names it has handlers for, here the harness's job name among
 * others. Servers always fetch with their names, so every ordering rule is tested both ways.
 */
const SERVER_NAMES: readonly string[] = ['other.job', 'test.job', 'third.job'];

/** Queue order, priority and first-in-first-out, without job names and with a server's list of them. */
function orderingTests(target: ConformanceTarget): void {
  for (const [label, names] of [
    ['without job names', null],
    ['with the job names a server passes', SERVER_NAMES],
  ] as const) {
    describe(`jobsFetch order, ${label}`, () => {
      const h = useHarness(target);

      it('serves queues in the given order', async () => {
        const [low] = await h.create({ queue: 'low' });
        const [high] = await h.create({ queue: 'high' });
        expect(await drainOneByOne(h, ['high', 'low'], names)).toEqual([high, low]);
      });

      it('takes from a later queue only what earlier queues could not fill', async () => {
        const a = await h.create({ queue: 'a' }, { queue: 'a' });
        const b = await h.create({ queue: 'b' }, { queue: 'b' }, { queue: 'b' });
        const fetched = await h.fetch({ names, queues: ['a', 'b'], limit: 4 });
        expect(fetched).toHaveLength(4);
        const ids = fetched.map((j) => j.id);
        expect(ids).toEqual(expect.arrayContaining([...a, b[0]!, b[1]!]));
        expect(ids).not.toContain(b[2]);
      });

      it('leaves queues that are not listed alone', async () => {
        const [other] = await h.create({ queue: 'other' });
        await h.create({}, {});
        expect(await h.fetch({ names, queues: ['default', 'missing'] })).toHaveLength(2);
        expect(await h.stateOf(other!)).toBe('enqueued');
      });

      it('takes higher priority first within a queue', async () => {
        const [low, high, middle, negative] = await h.create({ priority: 0 }, { priority: 10 }, { priority: 5 }, { priority: -3 });
        expect(await drainOneByOne(h, ['default'], names)).toEqual([high, middle, low, negative]);
      });

      it('lets queue order win over priority', async () => {
        const [urgentLater] = await h.create({ queue: 'later', priority: 100 });
        const [plainFirst] = await h.create({ queue: 'first', priority: 0 });
        expect(await drainOneByOne(h, ['first', 'later'], names)).toEqual([plainFirst, urgentLater]);
      });

      it('takes jobs of equal priority in the order they were enqueued', async () => {
        const batch = await h.create({}, {}, {});
        h.clock.advance(1);
        const later = await h.create({}, {});
        expect(await drainOneByOne(h, ['default'], names)).toEqual([...batch, ...later]);
      });

      it('puts a requeued job behind the jobs already waiting', async () => {
        const [a, b, c] = await h.create({}, {}, {});
        h.clock.advance(1);
        const first = await h.fetchOne({ names });
        expect(first.id).toBe(a);
        h.clock.advance(1);
        expect((await h.storage.jobSetState({ id: a!, expected: ['processing'], state: 'enqueued', reason: 'requeue' })).ok).toBe(true);
        expect(await drainOneByOne(h, ['default'], names)).toEqual([b, c, a]);
      });

      it('puts a job returned by its server behind the jobs already waiting', async () => {
        const [a, b] = await h.create({}, {});
        const first = await h.fetchOne({ names });
        expect(first.id).toBe(a);
        h.clock.advance(1);
        expect(await h.complete(first, { state: 'enqueued', reason: 'shutdown', refundAttempt: true })).toBe(true);
        expect(await drainOneByOne(h, ['default'], names)).toEqual([b, a]);
      });

      it('queues a promoted scheduled job behind jobs enqueued before its promotion', async () => {
        const scheduled = await h.createOne(h.scheduledJob(1_000));
        h.clock.advance(10);
        const [waiting] = await h.create({});
        h.clock.advance(1_000);
        expect((await h.storage.scheduledPromoteDue({ limit: 10 })).promoted).toBe(1);
        expect(await drainOneByOne(h, ['default'], names)).toEqual([waiting, scheduled]);
      });

      it('skips paused queues until they are resumed', async () => {
        const [paused] = await h.create({ queue: 'paused' });
        const [open] = await h.create({ queue: 'open' });
        await h.storage.queuePauseSet({ queue: 'paused', paused: true });
        expect((await h.fetch({ names, queues: ['paused', 'open'] })).map((j) => j.id)).toEqual([open]);
        expect(await h.fetch({ names, queues: ['paused'] })).toEqual([]);
        await h.storage.queuePauseSet({ queue: 'paused', paused: false });
        expect((await h.fetch({ names, queues: ['paused', 'open'] })).map((j) => j.id)).toEqual([paused]);
      });

      it('takes the higher priority first across the job names it is given', async () => {
        const [low, high, middle] = await h.create({ name: 'other.job', priority: 0 }, { name: 'third.job', priority: 10 }, { name: 'test.job', priority: 5 });
        const order = await drainOneByOne(h, ['default'], names);
        expect(order).toEqual([high, middle, low]);
      });

      it('takes jobs of equal priority across job names in the order they were enqueued', async () => {
        const [a] = await h.create({ name: 'third.job' });
        h.clock.advance(1);
        const [b] = await h.create({ name: 'other.job' });
        h.clock.advance(1);
        const [c] = await h.create({ name: 'third.job' });
        expect(await drainOneByOne(h, ['default'], names)).toEqual([a, b, c]);
      });
    });
  }
}

/** Tests of `jobsFetch` and `jobClaim`: leases, queue order, priority, FIFO, paused queues, names. */
export function fetchTests(target: ConformanceTarget): void {
  orderingTests(target);
  describe('jobsFetch', () => {
    const h = useHarness(target);

    it('moves an enqueued job to processing under a new lease', async () => {
      const id = await h.createOne({ args: { n: 1 } });
      h.clock.advance(1_000);
      const [job] = await h.fetch({ serverId: 'server-a', leaseMs: 45_000 });
      expect(job).toMatchObject({ id, state: 'processing', attempt: 1, serverId: 'server-a', args: { n: 1 } });
      expect(typeof job!.leaseToken).toBe('string');
      expect(job!.leaseToken.length).toBeGreaterThan(0);
      expect(job!.leaseExpiresAt).toEqual(new Date(h.now() + 45_000));
      expect(job!.startedAt).toEqual(new Date(h.now()));
      const stored = await h.get(id);
      const { leaseToken: _token, ...record } = job!;
      expect(stored).toEqual(record);
      await h.verify();
    });

    it('appends a processing history record that names the server', async () => {
      const id = await h.createOne();
      h.clock.advance(500);
      await h.fetch({ serverId: 'server-a' });
      const history = await h.history(id);
      expect(history.map((r) => r.state)).toEqual(['enqueued', 'processing']);
      expect(history[1]).toMatchObject({ jobId: id, serverId: 'server-a' });
      expect(history[1]!.at).toEqual(new Date(h.now()));
      await h.verify();
    });

    it('returns nothing when there is nothing to fetch', async () => {
      expect(await h.fetch()).toEqual([]);
      await h.createOne({ queue: 'elsewhere' });
      expect(await h.fetch({ queues: ['default'] })).toEqual([]);
      expect(await h.fetch({ queues: [] })).toEqual([]);
      await h.expectCounts({ enqueued: 1 });
    });

    it('fetches at most limit jobs', async () => {
      await h.create({}, {}, {}, {}, {});
      expect(await h.fetch({ limit: 2 })).toHaveLength(2);
      expect(await h.fetch({ limit: 2 })).toHaveLength(2);
      expect(await h.fetch({ limit: 2 })).toHaveLength(1);
      expect(await h.fetch({ limit: 2 })).toHaveLength(0);
      await h.expectCounts({ processing: 5 });
    });

    it('fetches nothing with a limit of 0', async () => {
      await h.create({}, {});
      expect(await h.fetch({ limit: 0 })).toEqual([]);
      await h.expectCounts({ enqueued: 2 });
    });

    it('gives every fetched job a lease token, and a new one on every fetch', async () => {
      // A lease is the pair of job id and token: jobs fetched together may share a token, but a job
      // fetched again never gets one it held before, so a stale holder's writes are refused.
      await h.create({}, {}, {});
      const first = await h.fetch();
      for (const fetched of first) expect(fetched.leaseToken).toMatch(/./);
      const job = first[0]!;
      expect((await h.storage.jobSetState({ id: job.id, expected: ['processing'], state: 'enqueued', reason: 'requeue' })).ok).toBe(true);
      const again = await h.fetchOne();
      expect(again.id).toBe(job.id);
      expect(first.map((j) => j.leaseToken)).not.toContain(again.leaseToken);
      expect(again.attempt).toBe(2);
      expect(await h.complete(job, { state: 'succeeded', result: null, reason: 'stale' })).toBe(false);
      expect(await h.complete(again, { state: 'succeeded', result: null, reason: 'current' })).toBe(true);
    });

    it('fetches only the job names it is given, leaving the others queued', async () => {
      const [mail, sms, push] = await h.create({ name: 'mail' }, { name: 'sms' }, { name: 'push' });
      const fetched = await h.fetch({ names: ['sms', 'push', 'unknown'] });
      expect(fetched.map((j) => j.id).sort()).toEqual([sms!, push!].sort());
      expect(await h.stateOf(mail!)).toBe('enqueued');
      expect((await h.fetch({ names: null })).map((j) => j.id)).toEqual([mail]);
    });

    it('fetches nothing with an empty names list', async () => {
      await h.create({}, {});
      expect(await h.fetch({ names: [] })).toEqual([]);
      await h.expectCounts({ enqueued: 2 });
    });

    it('never fetches scheduled, awaiting or finished jobs', async () => {
      await h.createOne(h.scheduledJob(60_000));
      const parent = await h.running({ queue: 'parents' });
      await h.createOne(h.continuation(parent.id, 'failed'));
      expect(await h.succeed(parent)).toBe(true);
      expect(await h.fetch({ queues: ['default', 'parents'] })).toEqual([]);
      await h.expectCounts({ scheduled: 1, succeeded: 1, deleted: 1 });
      await h.verify();
    });

    it('counts attempts up on every fetch', async () => {
      const first = await h.running();
      expect(first.attempt).toBe(1);
      expect(await h.complete(first, { state: 'enqueued', reason: 'again', refundAttempt: false })).toBe(true);
      const second = await h.fetchOne();
      expect(second.attempt).toBe(2);
      expect((await h.get(second.id)).attempt).toBe(2);
    });
  });

  describe('jobClaim', () => {
    const h = useHarness(target);

    async function claim(id: string, expected: FetchedJob['state'][]): Promise<FetchedJob | null> {
      return h.storage.jobClaim({ id, expected, serverId: 'performer', leaseMs: LEASE_MS });
    }

    it('claims an enqueued job by id like a fetch of that job only', async () => {
      const [first, second] = await h.create({}, {});
      h.clock.advance(100);
      const job = await claim(second!, ['enqueued']);
      expect(job).toMatchObject({ id: second, state: 'processing', attempt: 1, serverId: 'performer' });
      expect(job!.leaseToken.length).toBeGreaterThan(0);
      expect(job!.leaseExpiresAt).toEqual(new Date(h.now() + LEASE_MS));
      expect(await h.stateOf(first!)).toBe('enqueued');
      expect(await h.succeed(job!)).toBe(true);
      await h.verify();
    });

    it('claims a scheduled, failed, succeeded or deleted job through enqueued', async () => {
      const scheduled = await h.createOne(h.scheduledJob(60_000));
      const failedJob = await h.running();
      expect(await h.fail(failedJob)).toBe(true);
      const succeededJob = await h.running();
      expect(await h.succeed(succeededJob)).toBe(true);
      const deleted = await h.createOne({ queue: 'x' });
      expect((await h.storage.jobSetState({ id: deleted, expected: ['enqueued'], state: 'deleted', reason: 'test' })).ok).toBe(true);

      for (const id of [scheduled, failedJob.id, succeededJob.id, deleted]) {
        const before = await h.historyStates(id);
        const job = await claim(id, ['enqueued', 'scheduled', 'failed', 'succeeded', 'deleted']);
        expect(job).toMatchObject({ id, state: 'processing' });
        expect(await h.historyStates(id)).toEqual([...before, 'enqueued', 'processing']);
        const stored = await h.get(id);
        expect(stored.expiresAt).toBeNull();
      }
      await h.expectCounts({ processing: 4 });
      await h.verify();
    });

    it('returns null and changes nothing when the job is not in an expected state', async () => {
      const id = await h.createOne(h.scheduledJob(60_000));
      expect(await claim(id, ['enqueued', 'failed'])).toBeNull();
      expect(await h.historyStates(id)).toEqual(['scheduled']);
      await h.expectCounts({ scheduled: 1 });
    });

    it('returns null for a job that is already processing', async () => {
      const running = await h.running();
      expect(await claim(running.id, ['enqueued', 'processing'])).toBeNull();
      expect(await h.succeed(running)).toBe(true);
    });

    it('refuses an unknown id (null or ERR_JOB_NOT_FOUND) and creates nothing', async () => {
      const id = h.ids.next();
      const outcome = await claim(id, ['enqueued']).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if ('error' in outcome) expect(outcome.error).toMatchObject({ code: 'ERR_JOB_NOT_FOUND' });
      else expect(outcome.value).toBeNull();
      expect(await h.storage.jobGet({ id })).toBeNull();
      await h.expectCounts({});
    });
  });
}
