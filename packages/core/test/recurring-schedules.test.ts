import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MemoryStorage, Spool, defineJob } from '@spool/core';
import type { RecurringOptions } from '@spool/core';

const report = defineJob('reports.run', () => 'done');
const spools: Spool[] = [];
const MINUTE = 60_000;

afterEach(async () => {
  await Promise.all(spools.splice(0).map((s) => s.close()));
});

async function setUp(start: string, options: RecurringOptions, id = 'r') {
  const clock = new ManualClock(new Date(start));
  const storage = new MemoryStorage({ clock });
  const spool = new Spool({ storage, jobs: [report] }, { clock });
  spools.push(spool);
  await spool.recurring.addOrUpdate(id, report, undefined, options);
  /** One scheduler tick at `at`. */
  const tickAt = async (at: string): Promise<void> => {
    clock.set(new Date(at));
    const { now, records } = await storage.recurringDue({ limit: 100 });
    for (const record of records) await spool.recurring.fireDue(record, now);
  };
  const jobs = async () => (await storage.monitoring.jobsList({ limit: 1000 })).jobs.reverse();
  return { clock, storage, spool, tickAt, jobs };
}

describe('overlap policies', () => {
  it("'skip' fires nothing while the previous run is unfinished", async () => {
    const { tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *', overlap: 'skip' });
    await tickAt('2030-01-01T00:01:00Z');
    await tickAt('2030-01-01T00:02:00Z');
    expect((await jobs()).map((j) => j.parameters.recurringOccurrence)).toEqual(['2030-01-01T00:01:00.000Z']);
  });

  it("'allow' fires beside an unfinished run", async () => {
    const { tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *' });
    await tickAt('2030-01-01T00:01:00Z');
    await tickAt('2030-01-01T00:02:00Z');
    expect(await jobs()).toHaveLength(2);
  });

  it("'queue' makes the next run wait for the previous one, one at most", async () => {
    const { tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *', overlap: 'queue' });
    await tickAt('2030-01-01T00:01:00Z');
    await tickAt('2030-01-01T00:02:00Z');
    await tickAt('2030-01-01T00:03:00Z');
    const all = await jobs();
    expect(all.map((j) => j.state)).toEqual(['enqueued', 'awaiting']);
    expect(all[1]!.parentId).toBe(all[0]!.id);
  });

  it("'cancel' deletes the unfinished previous run and fires", async () => {
    const { tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *', overlap: 'cancel' });
    await tickAt('2030-01-01T00:01:00Z');
    await tickAt('2030-01-01T00:02:00Z');
    expect((await jobs()).map((j) => j.state)).toEqual(['deleted', 'enqueued']);
  });

  it("'cancel' stops nothing when its firing does not land", async () => {
    const { spool, storage, clock, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *', overlap: 'cancel' });
    await tickAt('2030-01-01T00:01:00Z');
    clock.set(new Date('2030-01-01T00:02:00Z'));
    const { now, records } = await storage.recurringDue({ limit: 10 });
    // Paused between the due read and the firing: the firing's next-run check fails.
    await spool.recurring.pause('r');
    expect((await spool.recurring.fireDue(records[0]!, now)).fired).toBe(false);
    expect((await jobs()).map((j) => j.state)).toEqual(['enqueued']);
    expect((await spool.recurring.history('r')).map((e) => e.event)).toEqual(['fired']);
  });
});

describe('schedules', () => {
  it('spreads a fleet of schedules with jitter: each fires a fixed offset within the window, every time', async () => {
    const clock = new ManualClock(new Date('2030-01-01T00:00:30Z'));
    const storage = new MemoryStorage({ clock });
    const spool = new Spool({ storage, jobs: [report] }, { clock });
    spools.push(spool);
    const offsets = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const record = await spool.recurring.addOrUpdate(`tenant-${i}`, report, undefined, { cron: '0 * * * *', jitter: '10m' });
      // Occurrences are on the hour: what lies past the hour is the offset.
      const offset = record.nextRunAt!.getTime() % (60 * MINUTE);
      expect(offset).toBeLessThan(10 * MINUTE);
      expect(record.nextRunAt!.getTime()).toBeGreaterThan(clock.now());
      offsets.add(offset);
      const { next } = await spool.recurring.occurrences(`tenant-${i}`, { next: 3 });
      const first = record.nextRunAt!.getTime() - offset;
      expect(next.map((d) => d.getTime() - offset)).toEqual([0, 1, 2].map((h) => first + h * 60 * MINUTE));
    }
    expect(offsets.size).toBeGreaterThan(15);
  });

  it('fires a jittered occurrence at its offset, labelled with its scheduled time', async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '0 * * * *', jitter: '10m' });
    const due = (await spool.recurring.get('r'))!.nextRunAt!;
    const occurrence = new Date(due.getTime() - (due.getTime() % (60 * MINUTE)));
    await tickAt(new Date(due.getTime() - 1).toISOString());
    expect(await jobs()).toEqual([]);
    await tickAt(due.toISOString());
    expect((await jobs()).map((j) => j.parameters.recurringOccurrence)).toEqual([occurrence.toISOString()]);
    expect((await spool.recurring.get('r'))!.nextRunAt!.getTime()).toBe(due.getTime() + 60 * MINUTE);
  });

  it('keeps to start and end dates', async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '0 * * * *', startAt: '2030-01-01T05:30:00Z', endAt: new Date('2030-01-01T07:00:00Z') });
    expect((await spool.recurring.get('r'))!.nextRunAt!.toISOString()).toBe('2030-01-01T06:00:00.000Z');
    await tickAt('2030-01-01T06:00:00Z');
    await tickAt('2030-01-01T07:00:00Z');
    expect((await spool.recurring.get('r'))!.nextRunAt).toBeNull();
    await tickAt('2030-01-01T09:00:00Z');
    expect((await jobs()).map((j) => j.parameters.recurringOccurrence)).toEqual(['2030-01-01T06:00:00.000Z', '2030-01-01T07:00:00.000Z']);
  });

  it('refuses an end before the start', async () => {
    const clock = new ManualClock();
    const spool = new Spool({ storage: new MemoryStorage({ clock }), jobs: [report] }, { clock });
    spools.push(spool);
    await expect(spool.recurring.addOrUpdate('r', report, undefined, { cron: '@daily', startAt: '2030-02-01', endAt: '2030-01-01' })).rejects.toThrow(/endAt/);
    await expect(spool.recurring.addOrUpdate('r', report, undefined, { cron: '@daily', maxRuns: 0 })).rejects.toThrow(/maxRuns/);
    await expect(spool.recurring.addOrUpdate('r', report, undefined, { cron: '@daily', overlap: 'skipp' as 'skip' })).rejects.toThrow(/did you mean 'skip'/);
  });

  it('ends after its run limit, also when catching up with every missed occurrence', async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '0 * * * *', maxRuns: 3, misfire: 'all' });
    await tickAt('2030-01-01T01:00:00Z');
    await tickAt('2030-01-01T06:00:00Z');
    expect((await jobs()).map((j) => j.parameters.recurringOccurrence)).toEqual(['2030-01-01T01:00:00.000Z', '2030-01-01T02:00:00.000Z', '2030-01-01T03:00:00.000Z']);
    expect(await spool.recurring.get('r')).toMatchObject({ runs: 3, nextRunAt: null });
  });

  it('lists the next runs and the occurrences it handled, with what became of each', async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '0 */6 * * *', overlap: 'skip' });
    expect(await spool.recurring.occurrences('r', { next: 2, previous: 2 })).toEqual({
      next: [new Date('2030-01-01T06:00:00Z'), new Date('2030-01-01T12:00:00Z')],
      previous: [],
    });
    await tickAt('2030-01-01T06:00:01Z');
    await tickAt('2030-01-01T12:00:02Z');
    const [first] = await jobs();
    await spool.delete(first!.id);
    await tickAt('2030-01-01T18:00:03Z');
    const [, second] = await jobs();
    const { next, previous } = await spool.recurring.occurrences('r', { next: 1, previous: 5 });
    expect(next).toEqual([new Date('2030-01-02T00:00:00Z')]);
    expect(previous).toEqual([
      { occurrence: new Date('2030-01-01T18:00:00Z'), outcome: 'fired', at: new Date('2030-01-01T18:00:03Z'), from: null, jobId: second!.id, state: 'enqueued', reason: 'Recurring job r: occurrence of 2030-01-01T18:00:00.000Z' },
      {
        occurrence: new Date('2030-01-01T12:00:00Z'),
        outcome: 'skipped',
        at: new Date('2030-01-01T12:00:02Z'),
        from: null,
        jobId: first!.id,
        state: 'deleted',
        reason: `Skipped: the previous run ${first!.id} is still enqueued (overlap policy 'skip')`,
      },
      { occurrence: new Date('2030-01-01T06:00:00Z'), outcome: 'fired', at: new Date('2030-01-01T06:00:01Z'), from: null, jobId: first!.id, state: 'deleted', reason: 'Recurring job r: occurrence of 2030-01-01T06:00:00.000Z' },
    ]);
    expect((await spool.recurring.occurrences('r', { previous: 1 })).previous.map((p) => p.outcome)).toEqual(['fired']);
    await expect(spool.recurring.occurrences('r', { previous: 101 })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});

describe('backfill', () => {
  it('runs every occurrence of a range now, each once, also when asked twice', async () => {
    const { spool, jobs } = await setUp('2030-01-02T00:00:30Z', { cron: '0 6 * * *' });
    const first = await spool.recurring.backfill('r', { from: '2029-12-29T00:00:00Z', to: '2030-01-01T06:00:00Z' });
    expect(first.occurrences.map((d) => d.toISOString().slice(0, 10))).toEqual(['2029-12-29', '2029-12-30', '2029-12-31', '2030-01-01']);
    expect(first.jobIds).toHaveLength(4);
    const again = await spool.recurring.backfill('r', { from: '2029-12-31T00:00:00Z', to: '2030-01-01T12:00:00Z' });
    expect(again.jobIds).toEqual([]);
    expect(again.refused.map((d) => d.toISOString().slice(0, 10))).toEqual(['2029-12-31', '2030-01-01']);
    expect(await jobs()).toHaveLength(4);
    expect((await spool.recurring.get('r'))!.nextRunAt!.toISOString()).toBe('2030-01-02T06:00:00.000Z');
  });

  it('refuses a range that reaches past now, or one too long', async () => {
    const { spool } = await setUp('2030-01-02T00:00:30Z', { cron: '* * * * * *' });
    await expect(spool.recurring.backfill('r', { from: '2030-01-01T00:00:00Z', to: '2030-01-03T00:00:00Z' })).rejects.toThrow(/at or before now/);
    await expect(spool.recurring.backfill('r', { from: '2030-01-01T00:00:00Z', to: '2030-01-01T01:00:00Z' })).rejects.toThrow(/at most 1000 occurrences/);
    await expect(spool.recurring.backfill('missing', { from: '2030-01-01T00:00:00Z', to: '2030-01-01T01:00:00Z' })).rejects.toMatchObject({ code: 'ERR_RECURRING_NOT_FOUND' });
  });
});

describe('history', () => {
  it("records each occurrence that 'skip' leaves out, naming the unfinished run", async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *', overlap: 'skip' });
    await tickAt('2030-01-01T00:01:00Z');
    await tickAt('2030-01-01T00:02:00Z');
    await tickAt('2030-01-01T00:03:00Z');
    const [running] = await jobs();
    const history = await spool.recurring.history('r');
    expect(history.map((e) => [e.event, e.occurrence?.toISOString(), e.jobId])).toEqual([
      ['skipped', '2030-01-01T00:03:00.000Z', running!.id],
      ['skipped', '2030-01-01T00:02:00.000Z', running!.id],
      ['fired', '2030-01-01T00:01:00.000Z', running!.id],
    ]);
    expect(history[0]).toMatchObject({ at: new Date('2030-01-01T00:03:00Z'), reason: `Skipped: the previous run ${running!.id} is still enqueued (overlap policy 'skip')` });
    expect(await spool.recurring.history('r', { limit: 1 })).toHaveLength(1);
    await expect(spool.recurring.history('missing')).rejects.toMatchObject({ code: 'ERR_RECURRING_NOT_FOUND' });
  });

  it("records the queued run and the occurrences that 'queue' leaves out", async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *', overlap: 'queue' });
    await tickAt('2030-01-01T00:01:00Z');
    await tickAt('2030-01-01T00:02:00Z');
    await tickAt('2030-01-01T00:03:00Z');
    const [first, waiting] = await jobs();
    expect((await spool.recurring.history('r')).map((e) => [e.event, e.jobId, e.reason])).toEqual([
      ['skipped', waiting!.id, `Skipped: the previous run ${waiting!.id} is still awaiting, queued already (overlap policy 'queue': one waits at most)`],
      ['queued', waiting!.id, `Recurring job r: occurrence of 2030-01-01T00:02:00.000Z, queued behind ${first!.id}`],
      ['fired', first!.id, 'Recurring job r: occurrence of 2030-01-01T00:01:00.000Z'],
    ]);
  });

  it("says which run 'cancel' deleted", async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '* * * * *', overlap: 'cancel' });
    await tickAt('2030-01-01T00:01:00Z');
    await tickAt('2030-01-01T00:02:00Z');
    const [first, second] = await jobs();
    expect((await spool.recurring.history('r', { limit: 1 }))[0]).toMatchObject({
      event: 'fired',
      jobId: second!.id,
      reason: `Recurring job r: occurrence of 2030-01-01T00:02:00.000Z, cancelling the previous run ${first!.id} (it was enqueued)`,
    });
  });

  it('records a missed range, also when the misfire policy fires nothing', async () => {
    const { spool, tickAt, jobs } = await setUp('2030-01-01T00:00:30Z', { cron: '*/5 * * * *', misfire: 'skip' });
    await tickAt('2030-01-01T00:33:00Z');
    expect(await jobs()).toEqual([]);
    const history = await spool.recurring.history('r');
    expect(history).toHaveLength(1);
    const [missed] = history;
    expect(missed).toMatchObject({ event: 'missed', from: new Date('2030-01-01T00:05:00Z'), occurrence: new Date('2030-01-01T00:30:00Z'), jobId: null });
    expect(missed!.reason).toMatch(/misfire policy 'skip' left them out/);
    expect((await spool.recurring.occurrences('r', { previous: 3 })).previous.map((p) => p.outcome)).toEqual(['missed']);
  });

  it('records triggers and backfills, which are not occurrences the scheduler handled', async () => {
    const { spool } = await setUp('2030-01-02T00:00:30Z', { cron: '0 6 * * *' });
    const jobId = await spool.recurring.trigger('r');
    await spool.recurring.backfill('r', { from: '2029-12-30T00:00:00Z', to: '2030-01-01T12:00:00Z' });
    expect((await spool.recurring.history('r')).map((e) => [e.event, e.from?.toISOString() ?? null, e.occurrence?.toISOString() ?? null, e.jobId])).toEqual([
      ['backfilled', '2029-12-30T06:00:00.000Z', '2030-01-01T06:00:00.000Z', null],
      ['triggered', null, null, jobId],
    ]);
    expect((await spool.recurring.occurrences('r', { previous: 5 })).previous).toEqual([]);
    await spool.recurring.remove('r');
    expect(await spool.storage.recurringHistory({ id: 'r', limit: 10 })).toEqual([]);
  });
});
