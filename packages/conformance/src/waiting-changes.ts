import { describe, expect, it } from 'vitest';

import type { FetchedJob, JobChange, Storage } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

const FETCHERS = 8;
const RACED_JOBS = 200;

/** Tests of `jobChange`: changing a job that has not started, in one guarded write. */
export function waitingChangesTests(target: ConformanceTarget): void {
  describe('jobChange', () => {
    const h = useHarness(target);

    function change(id: string, changes: JobChange, storage: Storage = h.storage) {
      return storage.jobChange({ id, change: changes });
    }

    it('changes a waiting job only with the waitingChanges capability, and refuses clearly without it', async () => {
      const id = await h.createOne();
      if (!h.storage.capabilities.waitingChanges) {
        await expect(change(id, { priority: 5 })).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
        expect((await h.get(id)).priority).toBe(0);
        return;
      }
      expect(await change(id, { priority: 5 })).toEqual({ ok: true, previous: 'enqueued' });
      expect((await h.get(id)).priority).toBe(5);
    });

    it('moves a scheduled job to its new due time, recording old and new times in the history', async () => {
      if (!h.storage.capabilities.waitingChanges) return;
      const id = await h.createOne(h.scheduledJob(60_000));
      const before = new Date(h.now() + 60_000);
      h.clock.advance(1_000);
      const runAt = h.now() + 10_000;
      expect(await change(id, { runAt })).toEqual({ ok: true, previous: 'scheduled' });
      const job = await h.get(id);
      expect(job.runAt).toEqual(new Date(runAt));
      expect(job.updatedAt).toEqual(new Date(h.now()));
      const last = (await h.history(id)).at(-1)!;
      expect(last.state).toBe('scheduled');
      expect(last.data).toEqual({ changed: { runAt: { from: before.toISOString(), to: new Date(runAt).toISOString() } } });
      expect(last.reason).toContain(`${before.toISOString()} → ${new Date(runAt).toISOString()}`);
      h.clock.advance(10_000);
      expect((await h.storage.scheduledPromoteDue({ limit: 10 })).promoted).toBe(1);
      await h.verify();
    });

    it('changes priority, queue and arguments of an enqueued job, and the claim sees them', async () => {
      if (!h.storage.capabilities.waitingChanges) return;
      const id = await h.createOne({ args: { secret: 'old' } });
      expect(await change(id, { priority: 7, queue: 'urgent', args: { secret: 'new' } })).toEqual({ ok: true, previous: 'enqueued' });
      const last = (await h.history(id)).at(-1)!;
      expect(last.data).toEqual({ changed: { priority: { from: 0, to: 7 }, queue: { from: 'default', to: 'urgent' }, args: true } });
      // The history says the arguments changed, never what they were or are.
      expect(JSON.stringify(last)).not.toContain('secret');
      expect(await h.fetch({ queues: ['default'] })).toEqual([]);
      const [job] = await h.fetch({ queues: ['urgent'] });
      expect(job).toMatchObject({ id, priority: 7, queue: 'urgent', args: { secret: 'new' } });
      await h.verify();
    });

    it('moves the waiting count of an enqueued job to its new queue', async () => {
      if (!h.storage.capabilities.waitingChanges) return;
      const id = await h.createOne();
      await h.createOne();
      await change(id, { queue: 'other' });
      const queues = await h.storage.monitoring.queues();
      expect(queues.find((q) => q.name === 'default')?.enqueued).toBe(1);
      expect(queues.find((q) => q.name === 'other')?.enqueued).toBe(1);
    });

    it('changes an awaiting continuation without releasing it', async () => {
      if (!h.storage.capabilities.waitingChanges) return;
      const parent = await h.createOne(h.scheduledJob(60_000));
      const child = await h.createOne(h.continuation(parent, 'succeeded'));
      expect(await change(child, { args: { n: 2 }, priority: 3 })).toEqual({ ok: true, previous: 'awaiting' });
      const job = await h.get(child);
      expect(job).toMatchObject({ state: 'awaiting', args: { n: 2 }, priority: 3 });
      await h.verify();
    });

    it('refuses a due time for a job that is not scheduled, changing nothing', async () => {
      if (!h.storage.capabilities.waitingChanges) return;
      const id = await h.createOne();
      const before = await h.get(id);
      expect(await change(id, { runAt: h.now() + 1_000, priority: 2 })).toEqual({ ok: false, previous: 'enqueued', refused: 'not-allowed' });
      expect(await h.get(id)).toEqual(before);
      expect(await h.historyStates(id)).toEqual(['enqueued']);
    });

    it('refuses to change a running or finished job, and reports an unknown one', async () => {
      if (!h.storage.capabilities.waitingChanges) return;
      const running = await h.running();
      expect(await change(running.id, { priority: 9 })).toEqual({ ok: false, previous: 'processing', refused: 'not-waiting' });
      await h.succeed(running);
      expect(await change(running.id, { args: { n: 1 } })).toEqual({ ok: false, previous: 'succeeded', refused: 'not-waiting' });
      expect((await h.get(running.id)).priority).toBe(0);
      expect(await change(h.ids.next(), { priority: 1 })).toEqual({ ok: false, previous: null });
    });

    it(`applies each change before the claim or refuses it, against ${FETCHERS} concurrent fetchers`, async () => {
      if (!h.storage.capabilities.waitingChanges) return;
      const ids = await h.create(...Array.from({ length: RACED_JOBS }, () => ({ args: { v: 0 } })));
      const fetchers: Storage[] = [];
      for (let i = 0; i < FETCHERS; i++) fetchers.push(await h.connect());
      const changer = await h.connect();
      const claimed = new Map<string, FetchedJob>();
      const fetching = Promise.all(
        fetchers.map(async (storage, index) => {
          for (;;) {
            const jobs = await h.fetch({ limit: 5, serverId: `fetcher-${index}` }, storage);
            if (jobs.length === 0) return;
            for (const job of jobs) claimed.set(job.id, job);
          }
        }),
      );
      const results = await Promise.all(ids.map((id) => change(id, { args: { v: 1 }, priority: 1 }, changer)));
      await fetching;
      // Whatever a change raced with, every job was claimed exactly once, after or without it.
      expect(claimed.size).toBe(RACED_JOBS);
      for (const [index, id] of ids.entries()) {
        const result = results[index]!;
        const job = claimed.get(id)!;
        const states = await h.historyStates(id);
        if (result.ok) {
          // Applied: before the claim, so the claim delivered the new values.
          expect(job.args).toEqual({ v: 1 });
          expect(job.priority).toBe(1);
          expect(states).toEqual(['enqueued', 'enqueued', 'processing']);
        } else {
          // Refused: the claim came first, and the job runs with what it had.
          expect(result).toEqual({ ok: false, previous: 'processing', refused: 'not-waiting' });
          expect(job.args).toEqual({ v: 0 });
          expect((await h.get(id)).args).toEqual({ v: 0 });
          expect(states).toEqual(['enqueued', 'processing']);
        }
      }
      await h.verify();
    });
  });
}
