import { describe, expect, it } from 'vitest';

import type { ErrorRecord, FetchedJob, Json, NewJob, Storage } from '@spool/core';
import { DeadLettersManager } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

const RACED = 120;

/** Tests of the dead letters: routing exhausted failures, listing and counting them, redriving them. */
export function deadLettersTests(target: ConformanceTarget): void {
  describe('dead letters', () => {
    const h = useHarness(target);

    /** Runs a job and records its exhausted failure, routed to the dead letters (or not). */
    async function exhaust(overrides: Partial<NewJob> = {}, error: ErrorRecord = { name: 'Error', message: 'boom' }, deadLetter = true): Promise<FetchedJob> {
      const job = await h.running(overrides);
      const outcome = deadLetter
        ? { state: 'failed' as const, error, reason: 'No attempts left; moved to the dead letters', deadLetter: true }
        : { state: 'failed' as const, error, reason: 'No attempts left' };
      expect(await h.complete(job, outcome)).toBe(true);
      return job;
    }

    function redrive(ids: string[], storage: Storage = h.storage, args?: Json) {
      return storage.deadLettersRedrive({ redrives: ids.map((id) => (args === undefined ? { id } : { id, args })), reason: 'Redriven' });
    }

    function manager(storage: Storage = h.storage): DeadLettersManager {
      return new DeadLettersManager({ storage, init: () => storage.init(), jsonArgs: (args) => args as Json });
    }

    it('refuses every dead-letter operation clearly without the deadLetters capability', async () => {
      if (h.storage.capabilities.deadLetters) return;
      await expect(h.storage.deadLettersList({ limit: 10 })).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
      await expect(h.storage.deadLettersGroups({ limit: 10 })).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
      await expect(redrive(['x'])).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
    });

    it('marks an exhausted failure routed to the dead letters, and only that one', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const dead = await exhaust();
      const plain = await exhaust({}, { name: 'Error', message: 'boom' }, false);
      const job = await h.get(dead.id);
      expect(job.state).toBe('failed');
      expect(job.deadLetteredAt).toEqual(new Date(h.now()));
      expect(job.error).toMatchObject({ name: 'Error', message: 'boom' });
      expect((await h.history(dead.id)).at(-1)).toMatchObject({ state: 'failed', data: { deadLetter: true } });
      expect((await h.get(plain.id)).deadLetteredAt).toBeNull();
      expect((await h.storage.deadLettersList({ limit: 10 })).jobs.map((j) => j.id)).toEqual([dead.id]);
      // A dead letter is a failed job: the state counts are those of two failures.
      await h.expectCounts({ failed: 2 });
      await h.verify();
    });

    it('lists dead letters by job name, error name, message and time, newest first, by cursor', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const a1 = await exhaust({ name: 'mail.send' }, { name: 'TimeoutError', message: 'smtp timed out' });
      h.clock.advance(60_000);
      const a2 = await exhaust({ name: 'mail.send' }, { name: 'HttpError', message: 'status 503' });
      h.clock.advance(60_000);
      const b1 = await exhaust({ name: 'pdf.render' }, { name: 'TimeoutError', message: 'render timed out' });
      const ids = async (params: Parameters<Storage['deadLettersList']>[0]) => (await h.storage.deadLettersList(params)).jobs.map((j) => j.id);
      expect(await ids({ limit: 10 })).toEqual([b1.id, a2.id, a1.id]);
      expect(await ids({ limit: 10, name: 'mail.send' })).toEqual([a2.id, a1.id]);
      expect(await ids({ limit: 10, errorName: 'TimeoutError' })).toEqual([b1.id, a1.id]);
      expect(await ids({ limit: 10, message: 'timed out' })).toEqual([b1.id, a1.id]);
      expect(await ids({ limit: 10, message: 'Timed' })).toEqual([]);
      expect(await ids({ limit: 10, name: 'mail.send', errorName: 'HttpError' })).toEqual([a2.id]);
      expect(await ids({ limit: 10, from: new Date(h.now() - 60_000) })).toEqual([b1.id, a2.id]);
      expect(await ids({ limit: 10, to: new Date(h.now() - 60_000) })).toEqual([a2.id, a1.id]);
      const first = await h.storage.deadLettersList({ limit: 2 });
      expect(first.jobs.map((j) => j.id)).toEqual([b1.id, a2.id]);
      expect(first.nextCursor).not.toBeNull();
      const second = await h.storage.deadLettersList({ limit: 2, cursor: first.nextCursor });
      expect(second.jobs.map((j) => j.id)).toEqual([a1.id]);
      expect(second.nextCursor).toBeNull();
    });

    it('counts dead letters by job name and error name, the largest groups first', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      await exhaust({ name: 'mail.send' }, { name: 'TimeoutError', message: 'a' });
      await exhaust({ name: 'mail.send' }, { name: 'TimeoutError', message: 'b' });
      h.clock.advance(1_000);
      await exhaust({ name: 'mail.send' }, { name: 'TimeoutError', message: 'c' });
      await exhaust({ name: 'mail.send' }, { name: 'HttpError', message: 'd' });
      await exhaust({ name: 'pdf.render' }, { name: 'HttpError', message: 'e' });
      await exhaust({ name: 'pdf.render' }, { name: 'HttpError', message: 'f' }, false);
      expect(await h.storage.deadLettersGroups({ limit: 10 })).toEqual([
        { name: 'mail.send', errorName: 'TimeoutError', count: 3, lastAt: new Date(h.now()) },
        { name: 'mail.send', errorName: 'HttpError', count: 1, lastAt: new Date(h.now()) },
        { name: 'pdf.render', errorName: 'HttpError', count: 1, lastAt: new Date(h.now()) },
      ]);
      expect((await h.storage.deadLettersGroups({ limit: 1 })).map((g) => g.count)).toEqual([3]);
      expect((await h.storage.deadLettersGroups({ limit: 10, name: 'pdf.render' })).map((g) => g.errorName)).toEqual(['HttpError']);
    });

    it('redrives one dead letter into its queue as a fresh job, keeping its failure in the history', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const dead = await exhaust({ queue: 'mail' }, { name: 'HttpError', message: 'status 503' });
      const deadAt = h.now();
      h.clock.advance(5_000);
      expect(await redrive([dead.id])).toEqual({ results: [{ id: dead.id, ok: true, previous: 'failed' }] });
      const job = await h.get(dead.id);
      expect(job).toMatchObject({ state: 'enqueued', attempt: 0, deadLetteredAt: null, queue: 'mail' });
      const history = await h.history(dead.id);
      expect(history.map((e) => e.state)).toEqual(['enqueued', 'processing', 'failed', 'enqueued']);
      expect(history[2]!.data).toMatchObject({ error: { name: 'HttpError', message: 'status 503' }, deadLetter: true });
      expect(history[3]).toMatchObject({
        reason: 'Redriven',
        data: { redrive: true, deadLetteredAt: new Date(deadAt).toISOString(), error: { name: 'HttpError', message: 'status 503' } },
      });
      expect((await h.storage.deadLettersList({ limit: 10 })).jobs).toEqual([]);
      expect(await h.storage.deadLettersGroups({ limit: 10 })).toEqual([]);
      await h.expectCounts({ enqueued: 1 });
      const [again] = await h.fetch({ queues: ['mail'] });
      expect(again).toMatchObject({ id: dead.id, attempt: 1 });
      await h.verify();
    });

    it('redrives a selection, skipping and reporting jobs that are not dead letters', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const a = await exhaust();
      const b = await exhaust();
      const plain = await exhaust({}, { name: 'Error', message: 'boom' }, false);
      const waiting = await h.createOne();
      const missing = h.ids.next();
      const { results } = await redrive([a.id, plain.id, waiting, missing, b.id]);
      expect(results).toEqual([
        { id: a.id, ok: true, previous: 'failed' },
        { id: plain.id, ok: false, previous: 'failed' },
        { id: waiting, ok: false, previous: 'enqueued' },
        { id: missing, ok: false, previous: null },
        { id: b.id, ok: true, previous: 'failed' },
      ]);
      expect(await h.stateOf(plain.id)).toBe('failed');
      expect((await h.history(waiting)).map((e) => e.state)).toEqual(['enqueued']);
      // Redriven already: a second redrive finds no dead letter and changes nothing.
      expect((await redrive([a.id])).results).toEqual([{ id: a.id, ok: false, previous: 'enqueued' }]);
      expect((await h.history(a.id)).map((e) => e.state)).toEqual(['enqueued', 'processing', 'failed', 'enqueued']);
      await h.verify();
    });

    it('redrives with edited arguments, the original arguments kept in the history', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const dead = await exhaust({ args: { to: 'bad@@example' } });
      expect((await redrive([dead.id], h.storage, { to: 'good@example.com' })).results).toEqual([{ id: dead.id, ok: true, previous: 'failed' }]);
      expect((await h.get(dead.id)).args).toEqual({ to: 'good@example.com' });
      const last = (await h.history(dead.id)).at(-1)!;
      expect(last.reason).toBe('Redriven (with edited arguments)');
      expect(last.data).toMatchObject({ redrive: true, originalArgs: { to: 'bad@@example' } });
      const [job] = await h.fetch();
      expect(job!.args).toEqual({ to: 'good@example.com' });
      // A refused redrive writes no arguments either.
      const plain = await exhaust({ args: { n: 1 } }, { name: 'Error', message: 'boom' }, false);
      expect((await redrive([plain.id], h.storage, { n: 2 })).results[0]!.ok).toBe(false);
      expect((await h.get(plain.id)).args).toEqual({ n: 1 });
      await h.verify();
    });

    it('gives up the unique key of a redriven job that another active job holds now, and keeps it otherwise', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const taken = await exhaust({ uniqueKey: 'invoice-7' });
      const holder = await h.createOne({ uniqueKey: 'invoice-7', queue: 'other' });
      const kept = await exhaust({ uniqueKey: 'invoice-8' });
      expect((await redrive([taken.id, kept.id])).results.map((r) => r.ok)).toEqual([true, true]);
      expect((await h.get(taken.id)).uniqueKey).toBeNull();
      expect((await h.history(taken.id)).at(-1)!.reason).toContain(`held by job ${holder}`);
      expect((await h.get(kept.id)).uniqueKey).toBe('invoice-8');
      await h.verify();
    });

    it('clears the mark when a dead letter leaves failed another way (retried, deleted)', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const retried = await exhaust();
      const deleted = await exhaust();
      await h.storage.jobSetState({ id: retried.id, expected: ['failed'], state: 'enqueued', reason: 'Retried', resetAttempts: true });
      await h.storage.jobSetState({ id: deleted.id, expected: ['failed'], state: 'deleted', reason: 'Deleted' });
      expect((await h.get(retried.id)).deadLetteredAt).toBeNull();
      expect((await h.get(deleted.id)).deadLetteredAt).toBeNull();
      expect((await h.storage.deadLettersList({ limit: 10 })).jobs).toEqual([]);
      // Dead-lettered again after the retry: a dead letter once more.
      const [job] = await h.fetch();
      await h.complete(job!, { state: 'failed', error: { name: 'Error', message: 'again' }, reason: 'No attempts left', deadLetter: true });
      expect((await h.storage.deadLettersList({ limit: 10 })).jobs.map((j) => j.id)).toEqual([retried.id]);
      await h.verify();
    });

    it('redrives every dead letter matching a filter, in batches, and leaves the others', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const matching: string[] = [];
      for (let i = 0; i < 7; i++) matching.push((await exhaust({ name: 'mail.send' }, { name: 'HttpError', message: `status 50${i}` })).id);
      const other = await exhaust({ name: 'mail.send' }, { name: 'TimeoutError', message: 'slow' });
      const report = await manager().redrive({ filter: { name: 'mail.send', errorName: 'HttpError' } });
      expect(report).toEqual({ redriven: 7, skipped: [] });
      for (const id of matching) expect(await h.stateOf(id)).toBe('enqueued');
      expect((await h.storage.deadLettersList({ limit: 10 })).jobs.map((j) => j.id)).toEqual([other.id]);
      await h.verify();
    });

    it('never runs a job twice when two redrives race on the same dead letters', async () => {
      if (!h.storage.capabilities.deadLetters) return;
      const ids: string[] = [];
      for (let i = 0; i < RACED; i++) ids.push((await exhaust()).id);
      const first = await h.connect();
      const second = await h.connect();
      const reversed = [...ids].reverse();
      const [a, b] = await Promise.all([
        Promise.all(chunks(ids, 10).map((part) => redrive(part, first))),
        Promise.all(chunks(reversed, 10).map((part) => redrive(part, second))),
      ]);
      const okA = a.flatMap((r) => r.results).filter((r) => r.ok).map((r) => r.id);
      const okB = b.flatMap((r) => r.results).filter((r) => r.ok).map((r) => r.id);
      // Each job was redriven by exactly one of the two.
      expect(new Set([...okA, ...okB]).size).toBe(RACED);
      expect(okA.length + okB.length).toBe(RACED);
      const fetched = await h.fetch({ limit: RACED + 10 });
      expect(fetched).toHaveLength(RACED);
      for (const id of ids) expect((await h.historyStates(id)).filter((s) => s === 'enqueued')).toHaveLength(2);
      await h.expectCounts({ processing: RACED });
      await h.verify();
    });
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
