import { ManualClock, MemoryStorage, Spool, defineJob } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';

const report = defineJob('reports.build', () => 1);
const START = Date.UTC(2030, 0, 1, 12, 0, 30);

describe("an operator's schedule over the code's", () => {
  const open: Spool[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  /** A deploy of the application: a new Spool on the same storage that sets its recurring jobs at start. */
  async function deploy(storage: MemoryStorage, clock: ManualClock, cron: string) {
    const spool = new Spool({ storage, jobs: [report] }, { clock });
    open.push(spool);
    await spool.recurring.addOrUpdate('nightly', report, null, { cron, timezone: 'UTC' });
    return spool;
  }

  it('is in force at once, survives redeploys that change the code, and shows who set it', async () => {
    const clock = new ManualClock(START);
    const storage = new MemoryStorage({ clock });
    const first = await deploy(storage, clock, '0 2 * * *');
    expect((await first.recurring.get('nightly'))?.nextRunAt).toEqual(new Date(Date.UTC(2030, 0, 2, 2)));

    const set = await first.recurring.setSchedule('nightly', { cron: '30 * * * *', timezone: 'Asia/Tokyo' }, { setBy: 'ada' });
    expect(set).toMatchObject({ cron: '30 * * * *', timezone: 'Asia/Tokyo', nextRunAt: new Date(Date.UTC(2030, 0, 1, 12, 30)) });
    expect(set.settings.override).toEqual({ code: { cron: '0 2 * * *', timezone: 'UTC' }, setBy: 'ada', setAt: new Date(START) });

    // A redeploy whose code now says 03:00: the operator's schedule stays, the code's is remembered.
    clock.advance(60_000);
    const second = await deploy(storage, clock, '0 3 * * *');
    const after = await second.recurring.get('nightly');
    expect(after).toMatchObject({ cron: '30 * * * *', timezone: 'Asia/Tokyo', nextRunAt: new Date(Date.UTC(2030, 0, 1, 12, 30)) });
    expect(after?.settings.override?.code).toEqual({ cron: '0 3 * * *', timezone: 'UTC' });
  });

  it("goes back to the code's latest schedule when reset, and code then decides again", async () => {
    const clock = new ManualClock(START);
    const storage = new MemoryStorage({ clock });
    const spool = await deploy(storage, clock, '0 2 * * *');
    await spool.recurring.setSchedule('nightly', { cron: '*/10 * * * *' }, { setBy: 'ada' });
    await deploy(storage, clock, '0 4 * * *');
    expect(await spool.recurring.resetSchedule('nightly')).toBe(true);
    expect(await spool.recurring.get('nightly')).toMatchObject({ cron: '0 4 * * *', timezone: 'UTC', nextRunAt: new Date(Date.UTC(2030, 0, 2, 4)), settings: { override: null } });
    expect(await spool.recurring.resetSchedule('nightly')).toBe(false);
    await deploy(storage, clock, '0 5 * * *');
    expect((await spool.recurring.get('nightly'))?.cron).toBe('0 5 * * *');
  });

  it('pauses and resumes with the schedule, and refuses an expression it cannot read', async () => {
    const clock = new ManualClock(START);
    const storage = new MemoryStorage({ clock });
    const spool = await deploy(storage, clock, '0 2 * * *');
    expect(await spool.recurring.setSchedule('nightly', { cron: '0 6 * * *', paused: true })).toMatchObject({ paused: true, nextRunAt: null, cron: '0 6 * * *' });
    expect(await spool.recurring.setSchedule('nightly', { cron: '0 6 * * *', paused: false })).toMatchObject({ paused: false, nextRunAt: new Date(Date.UTC(2030, 0, 2, 6)) });
    await expect(spool.recurring.setSchedule('nightly', { cron: 'every day' })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(spool.recurring.setSchedule('nightly', { cron: '0 6 * * *', timezone: 'Mars/Olympus' })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    expect((await spool.recurring.get('nightly'))?.cron).toBe('0 6 * * *');
  });
});
