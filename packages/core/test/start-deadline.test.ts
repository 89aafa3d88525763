import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ManualClock, MemoryStorage, START_DEADLINE_PARAMETER, Spool, decideLateStart, defineJob, readStartDeadline } from '@spool/core';
import type { FetchedJob } from '@spool/core';

let ran: string[] = [];
const report = defineJob('reports.build', async (args: { month: number }) => {
  ran.push(`report ${args.month}`);
}, { ttl: '10m' });
const charge = defineJob('billing.charge', async (args: { order: string }) => {
  ran.push(`charge ${args.order}`);
  throw new Error('declined');
}, { ttl: '1m', onExpire: 'fail', attempts: 5 });

let spool: Spool;
let clock: ManualClock;

function make(): Spool {
  ran = [];
  clock = new ManualClock(Date.UTC(2030, 0, 1));
  spool = new Spool({ storage: new MemoryStorage({ clock }), jobs: [report, charge] }, { clock });
  return spool;
}

afterEach(async () => {
  await spool?.close();
});

describe('a time-to-live for jobs that never start', () => {
  it('runs a job started within its time-to-live', async () => {
    make();
    const id = await spool.enqueue(report, { month: 1 });
    clock.advance(600_000);
    expect((await spool.perform(id)).state).toBe('succeeded');
    expect(ran).toEqual(['report 1']);
  });

  it('deletes a job claimed past its time-to-live without running it', async () => {
    make();
    const id = await spool.enqueue(report, { month: 2 });
    clock.advance(600_001);
    const { state, job } = await spool.perform(id);
    expect(state).toBe('deleted');
    expect(ran).toEqual([]);
    expect(job!.history.at(-1)!.reason).toBe('Not started within its time-to-live (600000 ms after it was due at 2030-01-01T00:00:00.000Z): deleted unrun');
  });

  it("fails a late job with ERR_JOB_EXPIRED when its definition says so, and never retries it", async () => {
    make();
    const id = await spool.enqueue(charge, { order: 'A-1' });
    clock.advance(120_000);
    const { state, job } = await spool.perform(id);
    expect(state).toBe('failed');
    expect(ran).toEqual([]);
    expect(job!.error).toMatchObject({ code: 'ERR_JOB_EXPIRED' });
    expect(job!.error!.message).toContain('(60000 ms late)');
  });

  it('takes a scheduled job as due at its run time, and moves the deadline with a change of it', async () => {
    make();
    const id = await spool.schedule(report, { month: 3 }, { delay: '1h' });
    expect(readStartDeadline((await spool.getJob(id))!.parameters)).toEqual({ dueAt: clock.now() + 3_600_000, ttlMs: 600_000, onExpire: 'delete' });
    await spool.changeJob(id, { delay: '2h' });
    expect(readStartDeadline((await spool.getJob(id))!.parameters)!.dueAt).toBe(clock.now() + 7_200_000);
    clock.advance(7_200_000 + 300_000);
    expect((await spool.perform(id)).state).toBe('succeeded');
  });

  it('takes the enqueue options over the definition, and sets no deadline without a ttl or on a continuation', async () => {
    make();
    const id = await spool.enqueue(report, { month: 4 }, { ttl: null });
    expect((await spool.getJob(id))!.parameters[START_DEADLINE_PARAMETER]).toBeUndefined();
    const child = await spool.continueWith(id, report, { month: 5 });
    expect((await spool.getJob(child))!.parameters[START_DEADLINE_PARAMETER]).toBeUndefined();
    const failing = await spool.enqueue(report, { month: 6 }, { ttl: '30s', onExpire: 'fail' });
    expect(readStartDeadline((await spool.getJob(failing))!.parameters)).toEqual({ dueAt: clock.now(), ttlMs: 30_000, onExpire: 'fail' });
  });

  it('counts a recurring occurrence from its time', async () => {
    make();
    await spool.recurring.addOrUpdate('reports.hourly', report, { month: 7 }, { cron: '0 * * * *' });
    const id = await spool.recurring.trigger('reports.hourly');
    expect(readStartDeadline((await spool.getJob(id))!.parameters)).toEqual({ dueAt: clock.now(), ttlMs: 600_000, onExpire: 'delete' });
  });

  it('rejects a ttl or onExpire that is not one, with a suggestion', async () => {
    make();
    await expect(spool.enqueue(report, { month: 1 }, { ttl: 'soon' })).rejects.toBeInstanceOf(ConfigError);
    await expect(spool.enqueue(report, { month: 1 }, { onExpire: 'drop' as never })).rejects.toThrow(/onExpire/);
    expect(() => defineJob('x.y', () => undefined, { ttl: -5 })).toThrow(ConfigError);
  });

  it('holds only a first start to the deadline, and only a deadline it can read', () => {
    const startedAt = new Date(Date.UTC(2030, 0, 1, 1));
    const job = (attempt: number, value: unknown): Pick<FetchedJob, 'id' | 'attempt' | 'parameters' | 'startedAt'> => ({ id: 'j', attempt, startedAt, parameters: { [START_DEADLINE_PARAMETER]: value as never } });
    const due = { due: '2030-01-01T00:00:00.000Z', ttlMs: 60_000, onExpire: 'delete' };
    expect(decideLateStart(job(1, due))).toMatchObject({ onExpire: 'delete' });
    expect(decideLateStart(job(2, due))).toBeNull();
    expect(decideLateStart(job(1, { ...due, ttlMs: 3_600_000 }))).toBeNull();
    expect(decideLateStart(job(1, { ...due, onExpire: 'explode' }))).toBeNull();
    expect(decideLateStart(job(1, 'tomorrow'))).toBeNull();
  });
});
