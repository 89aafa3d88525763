import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, CronSchedule, ManualClock, ManualRuntime, MemoryStorage, Spool, cron, defineJob } from '@spool/core';
import { driveUntil, drivenServer } from './driven-server.js';

const report = defineJob('reports.nightly', (args: { kind: string }) => args.kind);
const spools: Spool[] = [];

afterEach(async () => {
  await Promise.all(spools.splice(0).map((s) => s.close()));
});

function make(storage: MemoryStorage, clock: ManualClock): Spool {
  const spool = new Spool({ storage, jobs: [report] }, { clock });
  spools.push(spool);
  return spool;
}

describe('cron schedules', () => {
  it('computes the next occurrence in a time zone', () => {
    const schedule = CronSchedule.parse('0 2 * * *', 'Asia/Shanghai');
    expect(schedule.next(new Date('2030-01-01T00:00:00Z'))!.toISOString()).toBe('2030-01-01T18:00:00.000Z');
  });

  it('supports a seconds field', () => {
    const schedule = CronSchedule.parse('*/15 * * * * *', 'UTC');
    expect(schedule.next(new Date('2030-01-01T00:00:01Z'))!.toISOString()).toBe('2030-01-01T00:00:15.000Z');
  });

  it('fires once at the end of the gap on the day daylight saving starts, when the local time does not exist', () => {
    // Europe/Berlin skips 02:00-03:00 on 2030-03-31: 02:30 fires at 03:00 CEST (01:00 UTC), as in Cronos.
    const schedule = CronSchedule.parse('30 2 * * *', 'Europe/Berlin');
    const runs: string[] = [];
    for (let at = schedule.next(new Date('2030-03-29T12:00:00Z')); runs.length < 3; at = schedule.next(at!)) runs.push(at!.toISOString());
    expect(runs).toEqual(['2030-03-30T01:30:00.000Z', '2030-03-31T01:00:00.000Z', '2030-04-01T00:30:00.000Z']);
  });

  it('fires once on the day daylight saving ends, when the local time happens twice', () => {
    // Europe/Berlin repeats 02:00-03:00 on 2030-10-27.
    const schedule = CronSchedule.parse('30 2 * * *', 'Europe/Berlin');
    const runs: string[] = [];
    for (let at = schedule.next(new Date('2030-10-26T12:00:00Z')); runs.length < 3; at = schedule.next(at!)) runs.push(at!.toISOString());
    expect(runs).toHaveLength(3);
    expect(runs[0]).toBe('2030-10-27T00:30:00.000Z');
    expect(runs[1]).toBe('2030-10-28T01:30:00.000Z');
  });

  it('rejects an invalid expression or time zone with a ConfigError naming the field', () => {
    expect(() => CronSchedule.parse('61 * * * *', 'UTC', 'r')).toThrow(ConfigError);
    expect(() => CronSchedule.parse('61 * * * *', 'UTC', 'r')).toThrow(/r\.cron/);
    expect(() => CronSchedule.parse('* * *', 'UTC', 'r')).toThrow(/r\.cron/);
    expect(() => CronSchedule.parse('0 * * * *', 'Mars/Olympus', 'r')).toThrow(/r\.timezone/);
  });

  it('builds common expressions', () => {
    expect(cron.daily(2, 30)).toBe('30 2 * * *');
    expect(cron.weekly(1, 9)).toBe('0 9 * * 1');
  });

  it('applies the misfire policies to missed occurrences', () => {
    const schedule = CronSchedule.parse('0 * * * *', 'UTC');
    const due = new Date('2030-01-01T00:00:00Z');
    const now = new Date('2030-01-01T03:30:00Z');
    expect(schedule.occurrences(due, now, 'once', 60_000).fire.map((d) => d.getUTCHours())).toEqual([3]);
    expect(schedule.occurrences(due, now, 'all', 60_000).fire.map((d) => d.getUTCHours())).toEqual([0, 1, 2, 3]);
    expect(schedule.occurrences(due, now, 'skip', 60_000).fire).toHaveLength(0);
    expect(schedule.occurrences(due, now, 'once', 60_000).next!.toISOString()).toBe('2030-01-01T04:00:00.000Z');
  });
});

describe('recurring jobs', () => {
  it('adds, lists, pauses, resumes, triggers and removes a recurring job', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const spool = make(new MemoryStorage({ clock }), clock);
    const record = await spool.recurring.addOrUpdate('nightly', report, { kind: 'sales' }, { cron: '0 2 * * *', timezone: 'Asia/Shanghai' });
    expect(record.nextRunAt!.toISOString()).toBe('2030-01-01T18:00:00.000Z');
    expect((await spool.recurring.list()).map((r) => r.id)).toEqual(['nightly']);
    await spool.recurring.pause('nightly');
    expect(await spool.recurring.get('nightly')).toMatchObject({ paused: true, nextRunAt: null });
    await spool.recurring.resume('nightly');
    expect((await spool.recurring.get('nightly'))!.nextRunAt!.toISOString()).toBe('2030-01-01T18:00:00.000Z');
    const jobId = await spool.recurring.trigger('nightly');
    expect(await spool.getJob(jobId)).toMatchObject({ name: 'reports.nightly', args: { kind: 'sales' }, recurringId: 'nightly' });
    expect((await spool.recurring.get('nightly'))!.lastJobId).toBe(jobId);
    expect(await spool.recurring.remove('nightly')).toBe(true);
    await expect(spool.recurring.trigger('nightly')).rejects.toMatchObject({ code: 'ERR_RECURRING_NOT_FOUND' });
  });

  it('rejects an invalid cron expression naming the field', async () => {
    const clock = new ManualClock();
    const spool = make(new MemoryStorage({ clock }), clock);
    await expect(spool.recurring.addOrUpdate('bad', report, { kind: 'x' }, { cron: 'every night' })).rejects.toThrow(/recurring "bad"\.cron/);
    await expect(spool.recurring.addOrUpdate('bad', report, { kind: 'x' }, { cron: '0 2 * * *', timezone: 'Nowhere/City' })).rejects.toThrow(/timezone/);
  });

  it('keeps the stored next run when a restarting host adds the same schedule again', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const storage = new MemoryStorage({ clock });
    const first = make(storage, clock);
    await first.recurring.addOrUpdate('hourly', report, { kind: 'h' }, { cron: '0 * * * *' });
    clock.advance(2 * 3_600_000);
    const second = make(storage, clock);
    const record = await second.recurring.addOrUpdate('hourly', report, { kind: 'h' }, { cron: '0 * * * *' });
    expect(record.nextRunAt!.toISOString()).toBe('2030-01-01T13:00:00.000Z');
  });

  it('fires each occurrence exactly once across several servers', async () => {
    const runtime = new ManualRuntime(Date.UTC(2030, 0, 1, 12, 0, 30));
    const storage = new MemoryStorage({ clock: runtime.clock });
    // Time moves only in the test, so these are closed here, with time driven, not after it.
    const servers = [0, 1, 2].map(() => new Spool({ storage, jobs: [report] }, runtime));
    await servers[0]!.recurring.addOrUpdate('every-minute', report, { kind: 'm' }, { cron: '* * * * *' });
    for (const s of servers) await s.startServer({ ...drivenServer, recurringPollInterval: '1s', queues: ['none'] });
    // Five minutes, each polled sixty times by each of the three servers.
    for (let minute = 1; minute <= 5; minute++) {
      await runtime.advance(60_000);
      expect((await storage.monitoring.stats()).states.enqueued).toBe(minute);
    }
    const { jobs } = await storage.monitoring.jobsList({ limit: 100 });
    const occurrences = jobs.map((j) => j.parameters.recurringOccurrence);
    expect(occurrences).toHaveLength(5);
    expect(new Set(occurrences).size).toBe(5);
    for (const s of servers) await driveUntil(runtime, s.close());
  });

  it('fires one job per missed occurrence with the "all" policy, after servers were down', async () => {
    const runtime = new ManualRuntime(Date.UTC(2030, 0, 1, 12, 0, 30));
    const storage = new MemoryStorage({ clock: runtime.clock });
    const spool = new Spool({ storage, jobs: [report] }, runtime);
    await spool.recurring.addOrUpdate('catch-up', report, { kind: 'c' }, { cron: '0 * * * *', misfire: 'all' });
    // Three and a half hours without a server.
    runtime.clock.set(Date.UTC(2030, 0, 1, 15, 30));
    await spool.startServer({ ...drivenServer, queues: ['none'] });
    // The first poll, at start, catches up.
    await runtime.settle();
    expect((await spool.stats()).states.enqueued).toBe(3);
    expect((await spool.recurring.get('catch-up'))!.nextRunAt!.toISOString()).toBe('2030-01-01T16:00:00.000Z');
    await driveUntil(runtime, spool.close());
  });
});
