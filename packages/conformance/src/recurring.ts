import { describe, expect, it } from 'vitest';

import { DEFAULT_RECURRING_SETTINGS, RECURRING_HISTORY_LIMIT } from '@spool/core';
import type { NewJob, NewRecurringHistory, RecurringFireJob, RecurringUpsert } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import type { Harness } from './harness.js';
import { useHarness } from './harness.js';

const MINUTE = 60_000;

/** A recurring job definition due `dueInMs` from now. */
function recurring(h: Harness, id: string, dueInMs: number | null = MINUTE, overrides: Partial<RecurringUpsert> = {}): RecurringUpsert {
  return {
    id,
    name: 'reports.build',
    args: { report: id },
    cron: '* * * * *',
    timezone: 'UTC',
    queue: 'default',
    priority: 0,
    maxAttempts: 3,
    timeoutMs: null,
    retentionMs: 86_400_000,
    misfire: 'once',
    settings: { ...DEFAULT_RECURRING_SETTINGS },
    paused: false,
    nextRunAt: dueInMs === null ? null : new Date(h.now() + dueInMs),
    ...overrides,
  };
}

/** Jobs of a firing outside the schedule (trigger now): they hold no occurrence. */
function plain(jobs: NewJob[]): RecurringFireJob[] {
  return jobs.map((job) => ({ job, occurrence: null }));
}

/** Jobs of a firing, each for its occurrence. */
function forOccurrences(h: Harness, occurrences: Date[]): RecurringFireJob[] {
  return occurrences.map((occurrence) => ({ job: h.job({ recurringId: 'r' }), occurrence }));
}

/** A history entry to write. */
function entry(event: NewRecurringHistory['event'], occurrence: Date | null, jobId: string | null, reason = `${event} by the conformance suite`): NewRecurringHistory {
  return { event, occurrence, from: null, jobId, reason };
}

/** Tests of recurring jobs: upsert, get, list, remove, pause, due and fire with occurrence CAS. */
export function recurringTests(target: ConformanceTarget): void {
  describe('recurring jobs', () => {
    const h = useHarness(target);

    it('stores a recurring job with the storage bookkeeping fields', async () => {
      const input = recurring(h, 'nightly', MINUTE, { timezone: 'Asia/Shanghai', cron: '0 2 * * *', priority: 3, timeoutMs: 5_000, misfire: 'all' });
      await h.storage.recurringUpsert({ recurring: input });
      expect(await h.storage.recurringGet({ id: 'nightly' })).toEqual({
        ...input,
        runs: 0,
        lastRunAt: null,
        lastJobId: null,
        createdAt: new Date(h.now()),
        updatedAt: new Date(h.now()),
      });
      expect((await h.storage.monitoring.stats()).recurring).toBe(1);
    });

    it('replaces a recurring job, keeping its creation time and last run', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r') });
      const created = h.now();
      h.clock.advance(MINUTE);
      const fired = await h.storage.recurringFire({ id: 'r', occurrence: { expected: new Date(created + MINUTE), next: new Date(h.now() + MINUTE) }, jobs: plain([h.job()]) });
      expect(fired.fired).toBe(true);
      h.clock.advance(1_000);
      const replacement = recurring(h, 'r', 5 * MINUTE, { cron: '*/5 * * * *', args: { changed: true }, queue: 'reports' });
      await h.storage.recurringUpsert({ recurring: replacement });
      expect(await h.storage.recurringGet({ id: 'r' })).toEqual({
        ...replacement,
        createdAt: new Date(created),
        updatedAt: new Date(h.now()),
        lastRunAt: new Date(h.now() - 1_000),
        lastJobId: fired.jobIds[0],
        runs: 0,
      });
      expect((await h.storage.monitoring.stats()).recurring).toBe(1);
    });

    it('returns null for an unknown recurring job', async () => {
      expect(await h.storage.recurringGet({ id: 'missing' })).toBeNull();
    });

    it('lists recurring jobs by id in pages without duplicates or gaps', async () => {
      const ids = ['e', 'a', 'd', 'b', 'c'];
      for (const id of ids) await h.storage.recurringUpsert({ recurring: recurring(h, id) });
      const seen: string[] = [];
      let afterId: string | undefined;
      for (let page = 0; page < 10; page++) {
        const list = await h.storage.recurringList({ limit: 2, ...(afterId === undefined ? {} : { afterId }) });
        expect(list.length).toBeLessThanOrEqual(2);
        if (list.length === 0) break;
        seen.push(...list.map((r) => r.id));
        afterId = list.at(-1)!.id;
      }
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect((await h.storage.recurringList({ limit: 10 })).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await h.storage.recurringList({ limit: 10, afterId: 'e' })).toEqual([]);
    });

    it('lists nothing when there are no recurring jobs', async () => {
      expect(await h.storage.recurringList({ limit: 10 })).toEqual([]);
    });

    it('removes a recurring job, leaving the jobs it created', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const { jobIds } = await h.storage.recurringFire({ id: 'r', jobs: plain([h.job({ recurringId: 'r' })]) });
      expect(await h.storage.recurringRemove({ id: 'r' })).toBe(true);
      expect(await h.storage.recurringGet({ id: 'r' })).toBeNull();
      expect(await h.storage.recurringRemove({ id: 'r' })).toBe(false);
      expect((await h.get(jobIds[0]!)).recurringId).toBe('r');
      expect((await h.storage.monitoring.stats()).recurring).toBe(0);
    });

    it('pauses and resumes a recurring job, setting its next run', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      h.clock.advance(1_000);
      expect(await h.storage.recurringPauseSet({ id: 'r', paused: true, nextRunAt: null })).toBe(true);
      expect(await h.storage.recurringGet({ id: 'r' })).toMatchObject({ paused: true, nextRunAt: null, updatedAt: new Date(h.now()) });
      expect((await h.storage.recurringDue({ limit: 10 })).records).toEqual([]);
      const next = new Date(h.now() + MINUTE);
      expect(await h.storage.recurringPauseSet({ id: 'r', paused: false, nextRunAt: next })).toBe(true);
      expect(await h.storage.recurringGet({ id: 'r' })).toMatchObject({ paused: false, nextRunAt: next });
      expect(await h.storage.recurringPauseSet({ id: 'missing', paused: true, nextRunAt: null })).toBe(false);
      expect(await h.storage.recurringGet({ id: 'missing' })).toBeNull();
    });

    it('lists as due only unpaused jobs whose next run has come, earliest first, at most limit', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'later', 2 * MINUTE) });
      await h.storage.recurringUpsert({ recurring: recurring(h, 'sooner', MINUTE) });
      await h.storage.recurringUpsert({ recurring: recurring(h, 'exact', 3 * MINUTE) });
      await h.storage.recurringUpsert({ recurring: recurring(h, 'future', 10 * MINUTE) });
      await h.storage.recurringUpsert({ recurring: recurring(h, 'paused', MINUTE, { paused: true }) });
      await h.storage.recurringUpsert({ recurring: recurring(h, 'never', null) });
      expect((await h.storage.recurringDue({ limit: 10 })).records).toEqual([]);
      h.clock.advance(3 * MINUTE);
      expect(((await h.storage.recurringDue({ limit: 10 })).records).map((r) => r.id)).toEqual(['sooner', 'later', 'exact']);
      expect(((await h.storage.recurringDue({ limit: 2 })).records).map((r) => r.id)).toEqual(['sooner', 'later']);
      // Reading changes nothing.
      expect(((await h.storage.recurringDue({ limit: 10 })).records).map((r) => r.id)).toEqual(['sooner', 'later', 'exact']);
    });

    it('fires an occurrence once: creates its jobs and moves the next run', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', MINUTE) });
      h.clock.advance(MINUTE);
      const expected = new Date(h.now());
      const next = new Date(h.now() + MINUTE);
      const job = h.job({ recurringId: 'r', name: 'reports.build' });
      const fired = await h.storage.recurringFire({ id: 'r', occurrence: { expected, next }, jobs: plain([job]) });
      expect(fired).toEqual({ fired: true, jobIds: [job.id], refused: [] });
      expect(await h.get(job.id)).toMatchObject({ state: 'enqueued', recurringId: 'r' });
      expect(await h.storage.recurringGet({ id: 'r' })).toMatchObject({ nextRunAt: next, lastRunAt: new Date(h.now()), lastJobId: job.id });
      expect((await h.storage.recurringDue({ limit: 10 })).records).toEqual([]);

      const duplicate = h.job({ recurringId: 'r' });
      expect(await h.storage.recurringFire({ id: 'r', occurrence: { expected, next: new Date(h.now() + 2 * MINUTE) }, jobs: plain([duplicate]) })).toEqual({ fired: false, jobIds: [], refused: [] });
      expect(await h.storage.jobGet({ id: duplicate.id })).toBeNull();
      expect(await h.storage.recurringGet({ id: 'r' })).toMatchObject({ nextRunAt: next, lastJobId: job.id });
      await h.expectCounts({ enqueued: 1 });
      await h.verify();
    });

    it('fires without an occurrence (trigger now), leaving the next run as it is', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 10 * MINUTE) });
      const nextRunAt = new Date(h.now() + 10 * MINUTE);
      const jobs = [h.job({ recurringId: 'r' }), h.scheduledJob(MINUTE, { recurringId: 'r' })];
      expect(await h.storage.recurringFire({ id: 'r', jobs: plain(jobs) })).toEqual({ fired: true, jobIds: jobs.map((j) => j.id), refused: [] });
      expect(await h.storage.recurringGet({ id: 'r' })).toMatchObject({ nextRunAt, lastRunAt: new Date(h.now()) });
      const again = h.job({ recurringId: 'r' });
      expect((await h.storage.recurringFire({ id: 'r', jobs: plain([again]) })).fired).toBe(true);
      await h.expectCounts({ enqueued: 2, scheduled: 1 });
      await h.verify();
    });

    it('can end a schedule by firing with no next occurrence', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const expected = new Date(h.now());
      expect((await h.storage.recurringFire({ id: 'r', occurrence: { expected, next: null }, jobs: plain([h.job()]) })).fired).toBe(true);
      expect((await h.storage.recurringGet({ id: 'r' }))!.nextRunAt).toBeNull();
      h.clock.advance(100 * MINUTE);
      expect((await h.storage.recurringDue({ limit: 10 })).records).toEqual([]);
    });

    it('fires nothing for an unknown recurring job', async () => {
      const job = h.job();
      expect(await h.storage.recurringFire({ id: 'missing', jobs: plain([job]) })).toEqual({ fired: false, jobIds: [], refused: [] });
      expect(await h.storage.recurringFire({ id: 'missing', occurrence: { expected: new Date(h.now()), next: null }, jobs: plain([job]) })).toEqual({ fired: false, jobIds: [], refused: [] });
      expect(await h.storage.jobGet({ id: job.id })).toBeNull();
      await h.expectCounts({});
    });

    it('writes nothing when the jobs of a firing cannot be created', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const before = await h.storage.recurringGet({ id: 'r' });
      h.clock.advance(1_000);
      const plainJob = h.job();
      const orphan = h.continuation(h.ids.next(), 'succeeded');
      await expect(
        h.storage.recurringFire({ id: 'r', occurrence: { expected: before!.nextRunAt!, next: new Date(h.now() + MINUTE) }, jobs: plain([plainJob, orphan]) }),
      ).rejects.toMatchObject({ code: 'ERR_JOB_NOT_FOUND' });
      expect(await h.storage.recurringGet({ id: 'r' })).toEqual(before);
      await expect(
        h.storage.recurringFire({ id: 'r', jobs: plain([orphan]), history: [entry('triggered', null, orphan.id)] }),
      ).rejects.toMatchObject({ code: 'ERR_JOB_NOT_FOUND' });
      expect(await h.storage.recurringHistory({ id: 'r', limit: 10 })).toEqual([]);
      expect(await h.storage.jobGet({ id: plainJob.id })).toBeNull();
      await h.expectCounts({});
    });

    it('fires an occurrence once when two handles race for it', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const expected = new Date(h.now());
      const next = new Date(h.now() + MINUTE);
      const handles = [h.storage, await h.connect(), await h.connect(), await h.connect()];
      const results = await Promise.all(handles.map((s) => s.recurringFire({ id: 'r', occurrence: { expected, next }, jobs: plain([h.job({ recurringId: 'r' })]) })));
      expect(results.filter((r) => r.fired)).toHaveLength(1);
      await h.expectCounts({ enqueued: 1 });
    });

    it('reports the time it judged the due records by, from the storage clock', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', MINUTE) });
      h.clock.advance(MINUTE);
      const due = await h.storage.recurringDue({ limit: 10 });
      expect(due.now).toEqual(new Date(h.now()));
      expect(due.records.map((r) => r.id)).toEqual(['r']);
      h.clock.advance(1_000);
      expect((await h.storage.recurringDue({ limit: 10 })).now).toEqual(new Date(h.now()));
    });

    it('never creates a second job for an occurrence, whatever next run the caller expected', async () => {
      // The autumn bug: a next run that is the occurrence just fired, fired again with the new expectation.
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const occurrence = new Date(h.now());
      const first = await h.storage.recurringFire({ id: 'r', occurrence: { expected: occurrence, next: occurrence }, jobs: forOccurrences(h, [occurrence]) });
      expect(first).toMatchObject({ fired: true, refused: [] });
      expect(first.jobIds).toHaveLength(1);
      const again = forOccurrences(h, [occurrence]);
      const second = await h.storage.recurringFire({ id: 'r', occurrence: { expected: occurrence, next: new Date(h.now() + MINUTE) }, jobs: again });
      expect(second).toEqual({ fired: true, jobIds: [], refused: [occurrence] });
      expect(await h.storage.jobGet({ id: again[0]!.job.id })).toBeNull();
      // The schedule still moves on, so the scheduler does not come back to the same occurrence.
      expect((await h.storage.recurringGet({ id: 'r' }))!.nextRunAt).toEqual(new Date(h.now() + MINUTE));
      await h.expectCounts({ enqueued: 1 });
      await h.verify();
    });

    it('creates one job per occurrence within one firing, and the rest of the firing', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const a = new Date(h.now() - 2 * MINUTE);
      const b = new Date(h.now() - MINUTE);
      const jobs = forOccurrences(h, [a, b, b]);
      const fired = await h.storage.recurringFire({ id: 'r', jobs });
      expect(fired).toEqual({ fired: true, jobIds: [jobs[0]!.job.id, jobs[1]!.job.id], refused: [b] });
      const more = forOccurrences(h, [b, new Date(h.now())]);
      const again = await h.storage.recurringFire({ id: 'r', jobs: [...more, ...plain([h.job()])] });
      expect(again.refused).toEqual([b]);
      expect(again.jobIds).toHaveLength(2);
      await h.expectCounts({ enqueued: 4 });
    });

    it('gives every job of a firing to the recurring job, and keeps occurrences apart per recurring job', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      await h.storage.recurringUpsert({ recurring: recurring(h, 'other', 0) });
      const at = new Date(h.now());
      const mine = await h.storage.recurringFire({ id: 'r', jobs: [{ job: h.job({ recurringId: null }), occurrence: at }] });
      const theirs = await h.storage.recurringFire({ id: 'other', jobs: [{ job: h.job({ recurringId: null }), occurrence: at }] });
      expect((await h.get(mine.jobIds[0]!)).recurringId).toBe('r');
      expect((await h.get(theirs.jobIds[0]!)).recurringId).toBe('other');
    });

    it('creates one job for an occurrence that several handles fire at once', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const at = new Date(h.now());
      const handles = [h.storage, await h.connect(), await h.connect(), await h.connect()];
      // Without the next-run check (as a backfill fires), only the occurrence key stands between them.
      const results = await Promise.all(handles.map((s) => s.recurringFire({ id: 'r', jobs: forOccurrences(h, [at]) })));
      expect(results.flatMap((r) => r.jobIds)).toHaveLength(1);
      expect(results.flatMap((r) => r.refused)).toEqual([at, at, at]);
      await h.expectCounts({ enqueued: 1 });
    });

    it("keeps an operator's schedule override in the settings, with the code's schedule and who set it", async () => {
      const override = { code: { cron: '0 2 * * *', timezone: 'Europe/Berlin' }, setBy: '<b>"ada"</b> 😀', setAt: new Date(h.now()) };
      const settings = { ...DEFAULT_RECURRING_SETTINGS, override };
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0, { cron: '*/5 * * * *', settings }) });
      expect((await h.storage.recurringGet({ id: 'r' }))?.settings.override).toEqual(override);
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0, { settings: { ...DEFAULT_RECURRING_SETTINGS, override: null } }) });
      expect((await h.storage.recurringGet({ id: 'r' }))?.settings.override ?? null).toBeNull();
    });

    it('keeps the schedule settings as given and counts the occurrence jobs it created', async () => {
      const settings = { dayMatch: 'or' as const, overlap: 'queue' as const, jitterMs: 30_000, startAt: new Date(h.now()), endAt: new Date(h.now() + 60 * MINUTE), maxRuns: 7 };
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0, { settings }) });
      expect(await h.storage.recurringGet({ id: 'r' })).toMatchObject({ settings, runs: 0 });
      const expected = new Date(h.now());
      await h.storage.recurringFire({ id: 'r', occurrence: { expected, next: new Date(h.now() + MINUTE) }, jobs: [...forOccurrences(h, [expected, expected]), ...plain([h.job()])] });
      await h.storage.recurringFire({ id: 'r', jobs: forOccurrences(h, [new Date(h.now() - MINUTE)]) });
      // Two occurrence jobs created (one refused, one triggered job that does not count).
      expect((await h.storage.recurringGet({ id: 'r' }))!.runs).toBe(2);
      // Replacing the definition keeps the count.
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', MINUTE) });
      expect(await h.storage.recurringGet({ id: 'r' })).toMatchObject({ settings: DEFAULT_RECURRING_SETTINGS, runs: 2 });
    });
    it('appends the history entries of a firing, stamped with the storage time, and reads them newest first', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const first = new Date(h.now());
      const job = h.job({ recurringId: 'r' });
      const missed: NewRecurringHistory = { event: 'missed', occurrence: new Date(first.getTime() - MINUTE), from: new Date(first.getTime() - 5 * MINUTE), jobId: null, reason: 'Missed: 5 occurrences' };
      await h.storage.recurringFire({
        id: 'r',
        occurrence: { expected: first, next: new Date(first.getTime() + MINUTE) },
        jobs: [{ job, occurrence: first }],
        history: [missed, entry('fired', first, job.id, 'Recurring job r: occurrence of …')],
      });
      h.clock.advance(MINUTE);
      const second = new Date(h.now());
      await h.storage.recurringFire({
        id: 'r',
        occurrence: { expected: second, next: new Date(second.getTime() + MINUTE) },
        jobs: [],
        history: [entry('skipped', second, job.id, `Skipped: the previous run ${job.id} is unfinished (hostile <b>"'&\u00e9\u{1F600}\n`)],
      });
      expect(await h.storage.recurringHistory({ id: 'r', limit: 10 })).toEqual([
        { at: second, event: 'skipped', occurrence: second, from: null, jobId: job.id, reason: `Skipped: the previous run ${job.id} is unfinished (hostile <b>"'&\u00e9\u{1F600}\n` },
        { at: first, event: 'fired', occurrence: first, from: null, jobId: job.id, reason: 'Recurring job r: occurrence of …' },
        { ...missed, at: first },
      ]);
      expect(await h.storage.recurringHistory({ id: 'r', limit: 1 })).toHaveLength(1);
      expect((await h.storage.recurringHistory({ id: 'r', limit: 1 }))[0]!.event).toBe('skipped');
      expect(await h.storage.recurringHistory({ id: 'r', limit: 0 })).toEqual([]);
      expect(await h.storage.recurringHistory({ id: 'missing', limit: 10 })).toEqual([]);
    });

    it('writes no history for a firing that does not fire', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', MINUTE) });
      const stale = new Date(h.now());
      const result = await h.storage.recurringFire({ id: 'r', occurrence: { expected: stale, next: null }, jobs: [], history: [entry('skipped', stale, null)] });
      expect(result.fired).toBe(false);
      expect(await h.storage.recurringFire({ id: 'missing', jobs: [], history: [entry('triggered', null, null)] })).toMatchObject({ fired: false });
      expect(await h.storage.recurringHistory({ id: 'r', limit: 10 })).toEqual([]);
      expect(await h.storage.recurringHistory({ id: 'missing', limit: 10 })).toEqual([]);
    });

    it('leaves out the entry of a job whose occurrence was refused, and keeps entries naming other jobs', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const at = new Date(h.now());
      const [held] = forOccurrences(h, [at]);
      await h.storage.recurringFire({ id: 'r', jobs: [held!], history: [entry('fired', at, held!.job.id)] });
      const again = forOccurrences(h, [at, new Date(at.getTime() + MINUTE)]);
      const fired = await h.storage.recurringFire({
        id: 'r',
        jobs: again,
        history: [entry('fired', at, again[0]!.job.id), entry('fired', new Date(at.getTime() + MINUTE), again[1]!.job.id), entry('skipped', at, held!.job.id), entry('backfilled', at, null)],
      });
      expect(fired.refused).toEqual([at]);
      const history = await h.storage.recurringHistory({ id: 'r', limit: 10 });
      expect(history.map((e) => [e.event, e.jobId])).toEqual([
        ['backfilled', null],
        ['skipped', held!.job.id],
        ['fired', again[1]!.job.id],
        ['fired', held!.job.id],
      ]);
    });

    it(`keeps the latest ${RECURRING_HISTORY_LIMIT} history entries of each recurring job, through upserts, and removes them with it`, async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      await h.storage.recurringUpsert({ recurring: recurring(h, 'other', 0) });
      const many = Array.from({ length: RECURRING_HISTORY_LIMIT + 5 }, (_, i) => entry('missed', new Date(h.now() - i * MINUTE), null, `entry ${i}`));
      await h.storage.recurringFire({ id: 'r', jobs: [], history: many.slice(0, 50) });
      await h.storage.recurringFire({ id: 'r', jobs: [], history: many.slice(50) });
      await h.storage.recurringFire({ id: 'other', jobs: [], history: [entry('triggered', null, null, 'other entry')] });
      const kept = await h.storage.recurringHistory({ id: 'r', limit: RECURRING_HISTORY_LIMIT + 10 });
      expect(kept).toHaveLength(RECURRING_HISTORY_LIMIT);
      expect(kept[0]!.reason).toBe(`entry ${RECURRING_HISTORY_LIMIT + 4}`);
      expect(kept.at(-1)!.reason).toBe('entry 5');
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', MINUTE, { cron: '*/5 * * * *' }) });
      expect(await h.storage.recurringHistory({ id: 'r', limit: 1000 })).toHaveLength(RECURRING_HISTORY_LIMIT);
      expect(await h.storage.recurringRemove({ id: 'r' })).toBe(true);
      expect(await h.storage.recurringHistory({ id: 'r', limit: 1000 })).toEqual([]);
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      expect(await h.storage.recurringHistory({ id: 'r', limit: 1000 })).toEqual([]);
      expect((await h.storage.recurringHistory({ id: 'other', limit: 10 })).map((e) => e.reason)).toEqual(['other entry']);
    });

    it('writes the history of an occurrence once when several handles race to fire it', async () => {
      await h.storage.recurringUpsert({ recurring: recurring(h, 'r', 0) });
      const expected = new Date(h.now());
      const next = new Date(h.now() + MINUTE);
      const handles = [h.storage, await h.connect(), await h.connect(), await h.connect()];
      await Promise.all(
        handles.map((s) => {
          const jobs = forOccurrences(h, [expected]);
          return s.recurringFire({ id: 'r', occurrence: { expected, next }, jobs, history: [entry('fired', expected, jobs[0]!.job.id)] });
        }),
      );
      const history = await h.storage.recurringHistory({ id: 'r', limit: 10 });
      expect(history).toHaveLength(1);
      expect((await h.get(history[0]!.jobId!)).recurringId).toBe('r');
    });
  });
}
