import { describe, expect, it } from 'vitest';

import type { Json } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

/** Tests of `jobsCreate` and `jobGet`: stored fields, first history record, unique keys, parents. */
export function jobsCreateTests(target: ConformanceTarget): void {
  describe('jobsCreate', () => {
    const h = useHarness(target);

    it('stores an enqueued job with every field it was given', async () => {
      const input = h.job({
        name: 'mail.send',
        args: { to: 'a@example.com', n: 3 },
        queue: 'mail',
        priority: 5,
        maxAttempts: 7,
        timeoutMs: 12_000,
        retentionMs: 60_000,
        backoff: { type: 'fixed', delayMs: 500 },
        uniqueKey: 'mail:a',
        recurringId: 'nightly',
        parameters: { tenant: 't1', flags: [1, 2] },
      });
      const result = await h.storage.jobsCreate({ jobs: [input] });
      expect(result.jobs).toEqual([{ id: input.id, created: true, state: 'enqueued' }]);
      const job = await h.get(input.id);
      expect(job).toMatchObject({
        id: input.id,
        name: 'mail.send',
        args: { to: 'a@example.com', n: 3 },
        queue: 'mail',
        priority: 5,
        state: 'enqueued',
        attempt: 0,
        maxAttempts: 7,
        rescues: 0,
        runAt: null,
        startedAt: null,
        finishedAt: null,
        expiresAt: null,
        timeoutMs: 12_000,
        retentionMs: 60_000,
        backoff: { type: 'fixed', delayMs: 500 },
        uniqueKey: 'mail:a',
        parentId: null,
        continueOn: null,
        recurringId: 'nightly',
        serverId: null,
        leaseExpiresAt: null,
        progress: null,
        result: null,
        error: null,
        parameters: { tenant: 't1', flags: [1, 2] },
      });
      expect(job.createdAt).toEqual(new Date(h.now()));
      expect(job.updatedAt).toEqual(new Date(h.now()));
      expect(job.decodeError).toBeUndefined();
      await h.verify();
    });

    it('stores a scheduled job with its due time', async () => {
      const input = h.scheduledJob(60_000);
      const result = await h.storage.jobsCreate({ jobs: [input] });
      expect(result.jobs).toEqual([{ id: input.id, created: true, state: 'scheduled' }]);
      const job = await h.get(input.id);
      expect(job.state).toBe('scheduled');
      expect(job.runAt).toEqual(new Date(h.now() + 60_000));
      await h.verify();
    });

    it('keeps arguments of any JSON shape exactly', async () => {
      const args: Json = {
        text: 'héllo "quoted" \\ 漢字 🚀',
        int: -42,
        float: 3.25,
        big: 2 ** 52,
        yes: true,
        no: false,
        nothing: null,
        empty: {},
        list: [1, 'two', [3], { four: 4 }, null],
        nested: { a: { b: { c: [] } } },
      };
      const scalarIds = await h.create({ args: 'just a string' }, { args: 7 }, { args: null }, { args: [] });
      const id = await h.createOne({ args });
      expect((await h.get(id)).args).toEqual(args);
      expect(await Promise.all(scalarIds.map(async (s) => (await h.get(s)).args))).toEqual(['just a string', 7, null, []]);
    });

    it('returns one entry per input job, in input order', async () => {
      const jobs = [h.job(), h.scheduledJob(1_000), h.job({ queue: 'other' })];
      const result = await h.storage.jobsCreate({ jobs });
      expect(result.jobs).toEqual([
        { id: jobs[0]!.id, created: true, state: 'enqueued' },
        { id: jobs[1]!.id, created: true, state: 'scheduled' },
        { id: jobs[2]!.id, created: true, state: 'enqueued' },
      ]);
      await h.expectCounts({ enqueued: 2, scheduled: 1 });
      await h.verify();
    });

    it('creates nothing from an empty batch', async () => {
      const result = await h.storage.jobsCreate({ jobs: [] });
      expect(result.jobs).toEqual([]);
      await h.expectCounts({});
    });

    it('appends the first history record with the creation reason', async () => {
      const id = await h.createOne({ reason: 'Enqueued by the test' });
      const history = await h.history(id);
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ jobId: id, state: 'enqueued', reason: 'Enqueued by the test', serverId: null });
      expect(history[0]!.at).toEqual(new Date(h.now()));
      await h.verify();
    });

    it('returns null for a job that does not exist', async () => {
      expect(await h.storage.jobGet({ id: h.ids.next() })).toBeNull();
    });

    it('returns copies: changing a returned record changes nothing stored', async () => {
      const id = await h.createOne({ args: { n: 1 }, parameters: { p: 1 } });
      const job = await h.get(id);
      (job.args as { n: number }).n = 2;
      job.parameters['p'] = 2;
      expect(await h.get(id)).toMatchObject({ args: { n: 1 }, parameters: { p: 1 } });
    });

    describe('unique keys', () => {
      it('returns the holder instead of creating a second job with an active key', async () => {
        const holder = await h.createOne({ uniqueKey: 'k' });
        const second = h.job({ uniqueKey: 'k' });
        const result = await h.storage.jobsCreate({ jobs: [second] });
        expect(result.jobs).toEqual([{ id: holder, created: false, state: 'enqueued' }]);
        expect(await h.storage.jobGet({ id: second.id })).toBeNull();
        await h.expectCounts({ enqueued: 1 });
        await h.verify();
      });

      it('treats a second job with the same key in the same batch as a duplicate of the first', async () => {
        const first = h.job({ uniqueKey: 'k' });
        const second = h.job({ uniqueKey: 'k' });
        const other = h.job({ uniqueKey: 'other' });
        const result = await h.storage.jobsCreate({ jobs: [first, second, other] });
        expect(result.jobs).toEqual([
          { id: first.id, created: true, state: 'enqueued' },
          { id: first.id, created: false, state: 'enqueued' },
          { id: other.id, created: true, state: 'enqueued' },
        ]);
        expect(await h.storage.jobGet({ id: second.id })).toBeNull();
        await h.expectCounts({ enqueued: 2 });
      });

      it('is held by scheduled, awaiting and processing jobs', async () => {
        const scheduled = await h.createOne(h.scheduledJob(60_000, { uniqueKey: 'scheduled' }));
        const parent = await h.createOne({ queue: 'parents' });
        const awaiting = await h.createOne(h.continuation(parent, 'succeeded', { uniqueKey: 'awaiting' }));
        const processing = await h.running({ uniqueKey: 'processing' });
        const result = await h.storage.jobsCreate({
          jobs: [h.job({ uniqueKey: 'scheduled' }), h.job({ uniqueKey: 'awaiting' }), h.job({ uniqueKey: 'processing' })],
        });
        expect(result.jobs).toEqual([
          { id: scheduled, created: false, state: 'scheduled' },
          { id: awaiting, created: false, state: 'awaiting' },
          { id: processing.id, created: false, state: 'processing' },
        ]);
        await h.expectCounts({ scheduled: 1, enqueued: 1, awaiting: 1, processing: 1 });
      });

      it('is released when its holder succeeds, fails or is deleted', async () => {
        const succeeded = await h.running({ uniqueKey: 'succeeded' });
        expect(await h.succeed(succeeded)).toBe(true);
        const failed = await h.running({ uniqueKey: 'failed' });
        expect(await h.fail(failed)).toBe(true);
        const deleted = await h.createOne({ uniqueKey: 'deleted' });
        expect((await h.storage.jobSetState({ id: deleted, expected: ['enqueued'], state: 'deleted', reason: 'test' })).ok).toBe(true);

        const again = [h.job({ uniqueKey: 'succeeded' }), h.job({ uniqueKey: 'failed' }), h.job({ uniqueKey: 'deleted' })];
        const result = await h.storage.jobsCreate({ jobs: again });
        expect(result.jobs).toEqual(again.map((j) => ({ id: j.id, created: true, state: 'enqueued' })));
        await h.verify();
      });

      it('is given up by a finished job that is requeued while another active job holds it', async () => {
        const first = await h.running({ uniqueKey: 'k' });
        expect(await h.succeed(first)).toBe(true);
        const second = await h.createOne({ uniqueKey: 'k' });
        const requeue = await h.storage.jobSetState({ id: first.id, expected: ['succeeded'], state: 'enqueued', reason: 'Requeued' });
        expect(requeue.ok).toBe(true);
        const requeued = (await h.storage.jobGet({ id: first.id }))!;
        expect(requeued.state).toBe('enqueued');
        expect(requeued.uniqueKey).toBeNull();
        const history = (await h.storage.monitoring.jobDetails({ id: first.id }))!.history;
        expect(history.at(-1)!.reason).toContain(second);
        // The key still belongs to the second job alone, before and after the first finishes again.
        const third = await h.storage.jobsCreate({ jobs: [h.job({ uniqueKey: 'k' })] });
        expect(third.jobs[0]).toMatchObject({ id: second, created: false });
        await h.verify();
      });

      it('never makes jobs without a key duplicates of each other', async () => {
        const ids = await h.create({}, {}, {});
        expect(new Set(ids).size).toBe(3);
        await h.expectCounts({ enqueued: 3 });
      });
    });

    describe('parents', () => {
      it('throws ERR_JOB_NOT_FOUND for a missing parent and creates none of the batch', async () => {
        const batch = [h.job({ uniqueKey: 'first' }), h.continuation(h.ids.next(), 'succeeded'), h.scheduledJob(1_000)];
        await expect(h.storage.jobsCreate({ jobs: batch })).rejects.toMatchObject({ code: 'ERR_JOB_NOT_FOUND' });
        for (const job of batch) expect(await h.storage.jobGet({ id: job.id })).toBeNull();
        await h.expectCounts({});
        // The unique key of the refused batch was not taken either.
        const retry = h.job({ uniqueKey: 'first' });
        expect((await h.storage.jobsCreate({ jobs: [retry] })).jobs[0]).toEqual({ id: retry.id, created: true, state: 'enqueued' });
      });

      it('accepts a parent created earlier in the same batch', async () => {
        const parent = h.job();
        const child = h.continuation(parent.id, 'succeeded');
        const result = await h.storage.jobsCreate({ jobs: [parent, child] });
        expect(result.jobs).toEqual([
          { id: parent.id, created: true, state: 'enqueued' },
          { id: child.id, created: true, state: 'awaiting' },
        ]);
        expect(await h.get(child.id)).toMatchObject({ parentId: parent.id, continueOn: 'succeeded', state: 'awaiting' });
        await h.verify();
      });
    });
  });
}
