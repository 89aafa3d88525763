import { afterEach, describe, expect, it } from 'vitest';
import { CronSchedule, ManualClock, ManualRuntime, MemoryStorage, Spool, defineJob } from '@spool/core';
import type { MisfirePolicy, RecurringOptions } from '@spool/core';
import { driveUntil, drivenServer } from './driven-server.js';

const report = defineJob('reports.run', () => 'done');
const spools: Spool[] = [];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

afterEach(async () => {
  await Promise.all(spools.splice(0).map((s) => s.close()));
});

/** A spool on `storage`; `processClock` is the host's own clock, which may disagree with the storage's. */
function make(storage: MemoryStorage, processClock: ManualClock): Spool {
  const spool = new Spool({ storage, jobs: [report] }, { clock: processClock });
  spools.push(spool);
  return spool;
}

/** One tick of the recurring scheduler, as a server runs it: the due records with the storage's time. */
async function tick(storage: MemoryStorage, spool: Spool): Promise<void> {
  const { now, records } = await storage.recurringDue({ limit: 100 });
  for (const record of records) await spool.recurring.fireDue(record, now);
}

/** The occurrences (ISO) of every job the recurring job made, in creation order, with their creation times. */
async function firings(storage: MemoryStorage): Promise<Array<{ occurrence: string; createdAt: number }>> {
  const { jobs } = await storage.monitoring.jobsList({ limit: 10_000 });
  return jobs.reverse().map((j) => ({ occurrence: j.parameters.recurringOccurrence as string, createdAt: j.createdAt.getTime() }));
}

/** Polls every `stepMs` from `from` to `to`, as a server at that poll interval would. */
async function run(storage: MemoryStorage, spool: Spool, clock: ManualClock, from: number, to: number, stepMs: number): Promise<void> {
  for (let t = from; t <= to; t += stepMs) {
    clock.set(t);
    await tick(storage, spool);
  }
}

async function setUp(start: string, id: string, options: RecurringOptions) {
  const clock = new ManualClock(new Date(start));
  const storage = new MemoryStorage({ clock });
  const spool = make(storage, clock);
  await spool.recurring.addOrUpdate(id, report, undefined, options);
  return { clock, storage, spool };
}

// Every transition of 2026 in four kinds of zone: US and EU rules, Lord Howe's 30-minute shift, and
// Santiago, whose clocks change at midnight (so a midnight job meets the gap and the overlap).
const TRANSITIONS: Array<{ zone: string; at: string }> = [
  { zone: 'America/New_York', at: '2026-03-08T07:00:00Z' },
  { zone: 'America/New_York', at: '2026-11-01T06:00:00Z' },
  { zone: 'Europe/Berlin', at: '2026-03-29T01:00:00Z' },
  { zone: 'Europe/Berlin', at: '2026-10-25T01:00:00Z' },
  { zone: 'Australia/Lord_Howe', at: '2026-04-04T15:00:00Z' },
  { zone: 'Australia/Lord_Howe', at: '2026-10-03T15:30:00Z' },
  { zone: 'America/Santiago', at: '2026-04-05T03:00:00Z' },
  { zone: 'America/Santiago', at: '2026-09-06T04:00:00Z' },
];
const EXPRESSIONS = ['30 1 * * *', '30 2 * * *', '0 0 * * *', '45 23 * * *', '*/30 * * * *', '15 * * * *', '0 */20 * * * *'];

describe('recurring jobs across daylight-saving changes', () => {
  it('does not fire a daily job added inside the repeated hour again and again (New York, 01:10 EST)', async () => {
    // 2026-11-01 01:10 EST is 06:10 UTC; 01:30 EDT (05:30 UTC) has passed already.
    const { clock, storage, spool } = await setUp('2026-11-01T06:10:00Z', 'nightly', { cron: '30 1 * * *', timezone: 'America/New_York' });
    expect((await spool.recurring.get('nightly'))!.nextRunAt!.toISOString()).toBe('2026-11-02T06:30:00.000Z');
    await run(storage, spool, clock, clock.now(), clock.now() + 20 * MINUTE, 1_000);
    expect(await firings(storage)).toEqual([]);
    await run(storage, spool, clock, Date.parse('2026-11-02T06:29:59Z'), Date.parse('2026-11-02T06:31:00Z'), 1_000);
    expect((await firings(storage)).map((f) => f.occurrence)).toEqual(['2026-11-02T06:30:00.000Z']);
  });

  for (const { zone, at } of TRANSITIONS) {
    for (const cron of EXPRESSIONS) {
      it(`fires every occurrence of '${cron}' once, in order and not early, around ${at} in ${zone}`, async () => {
        const start = Date.parse(at) - 26 * HOUR;
        const { clock, storage, spool } = await setUp(new Date(start).toISOString(), 'r', { cron, timezone: zone });
        await run(storage, spool, clock, start, Date.parse(at) + 26 * HOUR, cron.split(' ').length === 6 ? 10_000 : 20_000);
        const fired = await firings(storage);
        const expected = CronSchedule.parse(cron, zone)
          .nextN(new Date(start), 400)
          .filter((d) => d.getTime() <= clock.now())
          .map((d) => d.toISOString());
        expect(fired.map((f) => f.occurrence)).toEqual(expected);
        for (const f of fired) expect(f.createdAt).toBeGreaterThanOrEqual(Date.parse(f.occurrence));
      });
    }
  }

  it('fires both passes of the repeated hour for an interval expression, once each, after servers were down', async () => {
    const { clock, storage, spool } = await setUp('2026-11-01T04:00:00Z', 'half-hourly', { cron: '*/30 * * * *', timezone: 'America/New_York', misfire: 'all' });
    clock.set(Date.parse('2026-11-01T08:10:00Z'));
    await tick(storage, spool);
    await tick(storage, spool);
    // 00:30 EDT, 01:00 and 01:30 EDT, 01:00 and 01:30 EST, 02:00 ... 03:00 EST.
    expect((await firings(storage)).map((f) => f.occurrence)).toEqual([
      '2026-11-01T04:30:00.000Z',
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T07:30:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ]);
    expect((await spool.recurring.get('half-hourly'))!.nextRunAt!.toISOString()).toBe('2026-11-01T08:30:00.000Z');
  });

  it('fires a fixed-time job once in the first pass of the repeated hour', async () => {
    const { clock, storage, spool } = await setUp('2026-10-24T12:00:00Z', 'r', { cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    await run(storage, spool, clock, clock.now(), Date.parse('2026-10-26T12:00:00Z'), 30_000);
    // 02:30 CEST on the 25th (00:30 UTC) only, not 02:30 CET an hour later.
    expect((await firings(storage)).map((f) => f.occurrence)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('fires a time inside the spring gap at the end of the gap, once', async () => {
    const { clock, storage, spool } = await setUp('2026-03-07T12:00:00Z', 'r', { cron: '30 2 * * *', timezone: 'America/New_York' });
    await run(storage, spool, clock, clock.now(), Date.parse('2026-03-08T12:00:00Z'), 30_000);
    // 02:30 does not exist on 8 March: it fires at 03:00 EDT (07:00 UTC).
    expect((await firings(storage)).map((f) => f.occurrence)).toEqual(['2026-03-08T07:00:00.000Z']);
  });

  it('resumes inside the repeated hour with a next run after now, and fires nothing twice', async () => {
    const { clock, storage, spool } = await setUp('2026-11-01T04:00:00Z', 'r', { cron: '30 1 * * *', timezone: 'America/New_York' });
    await run(storage, spool, clock, clock.now(), Date.parse('2026-11-01T05:40:00Z'), 10_000);
    await spool.recurring.pause('r');
    clock.set(Date.parse('2026-11-01T06:10:00Z'));
    await spool.recurring.resume('r');
    expect((await spool.recurring.get('r'))!.nextRunAt!.getTime()).toBeGreaterThan(clock.now());
    await run(storage, spool, clock, clock.now(), Date.parse('2026-11-02T07:00:00Z'), 60_000);
    expect((await firings(storage)).map((f) => f.occurrence)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });
});

describe('recurring jobs when clocks disagree', () => {
  for (const skewMs of [-10_000, 10_000]) {
    it(`fires each occurrence once and never early when one server's clock is ${skewMs / 1000} s off`, async () => {
      const storageClock = new ManualClock(new Date('2030-01-01T00:00:00.500Z'));
      const skewed = new ManualClock(storageClock.now() + skewMs);
      const storage = new MemoryStorage({ clock: storageClock });
      const good = make(storage, storageClock);
      const off = make(storage, skewed);
      await good.recurring.addOrUpdate('every-5s', report, undefined, { cron: '*/5 * * * * *' });
      for (let step = 0; step < 80; step++) {
        storageClock.advance(1_000);
        skewed.set(storageClock.now() + skewMs);
        // The skewed server is the one that sees each record first.
        await tick(storage, off);
        await tick(storage, good);
      }
      const fired = await firings(storage);
      expect(fired).toHaveLength(16);
      expect(new Set(fired.map((f) => f.occurrence)).size).toBe(16);
      for (const f of fired) expect(f.createdAt).toBeGreaterThanOrEqual(Date.parse(f.occurrence));
    });
  }

  it("judges due occurrences by the storage's clock in a running server whose own clock lags 10 s", async () => {
    const storageClock = new ManualClock(new Date('2030-01-01T00:00:00.500Z'));
    const storage = new MemoryStorage({ clock: storageClock });
    // The server's own time, timers included, runs 10 s behind the storage's.
    const lagging = new ManualRuntime(storageClock.now() - 10_000);
    const spool = new Spool({ storage, jobs: [report] }, lagging);
    await spool.recurring.addOrUpdate('every-5s', report, undefined, { cron: '*/5 * * * * *' });
    await spool.startServer({ ...drivenServer, recurringPollInterval: '1s', queues: ['none'] });
    for (let occurrence = 1; occurrence <= 4; occurrence++) {
      storageClock.advance(5_000);
      // Five polls per occurrence: none makes a second job, none fires early or late.
      await lagging.advance(5_000);
      expect((await spool.stats()).states.enqueued).toBe(occurrence);
    }
    const fired = await firings(storage);
    expect(fired).toHaveLength(4);
    expect(new Set(fired.map((f) => f.occurrence)).size).toBe(4);
    await driveUntil(lagging, spool.close());
  });
});

describe('misfire policies after many missed occurrences', () => {
  async function missed(policy: MisfirePolicy, hoursDown: number, minutesPast = 0) {
    const { clock, storage, spool } = await setUp('2030-01-01T00:30:00Z', 'hourly', { cron: '0 * * * *', misfire: policy });
    clock.set(Date.parse('2030-01-01T01:00:00Z') + (hoursDown - 1) * HOUR + minutesPast * MINUTE);
    await tick(storage, spool);
    await tick(storage, spool);
    return { clock, storage, spool, fired: await firings(storage) };
  }

  it("'skip' fires the latest of 180 missed occurrences when it is within its grace", async () => {
    const { fired, spool } = await missed('skip', 180);
    expect(fired.map((f) => f.occurrence)).toEqual(['2030-01-08T12:00:00.000Z']);
    expect((await spool.recurring.get('hourly'))!.nextRunAt!.toISOString()).toBe('2030-01-08T13:00:00.000Z');
  });

  it("'skip' fires none of 180 missed occurrences when the latest is past its grace", async () => {
    const { fired, spool } = await missed('skip', 180, 5);
    expect(fired).toEqual([]);
    expect((await spool.recurring.get('hourly'))!.nextRunAt!.toISOString()).toBe('2030-01-08T13:00:00.000Z');
  });

  it("'once' labels its one job with the latest of 180 missed occurrences and records the skipped ones", async () => {
    const { fired, storage } = await missed('once', 180, 5);
    expect(fired.map((f) => f.occurrence)).toEqual(['2030-01-08T12:00:00.000Z']);
    const [job] = (await storage.monitoring.jobsList({ limit: 1 })).jobs;
    expect(job!.parameters.recurringSkipped).toEqual({ from: '2030-01-01T01:00:00.000Z', to: '2030-01-08T11:00:00.000Z' });
  });

  it("'all' fires the latest 100 of 180 missed occurrences and records the 80 it skipped", async () => {
    const { fired, storage, spool } = await missed('all', 180, 5);
    expect(fired).toHaveLength(100);
    expect(fired[0]!.occurrence).toBe('2030-01-04T09:00:00.000Z');
    expect(fired.at(-1)!.occurrence).toBe('2030-01-08T12:00:00.000Z');
    const { jobs } = await storage.monitoring.jobsList({ limit: 200 });
    const first = jobs.at(-1)!;
    expect(first.parameters.recurringSkipped).toEqual({ from: '2030-01-01T01:00:00.000Z', to: '2030-01-04T08:00:00.000Z' });
    expect((await spool.recurring.get('hourly'))!.nextRunAt!.toISOString()).toBe('2030-01-08T13:00:00.000Z');
  });
});
