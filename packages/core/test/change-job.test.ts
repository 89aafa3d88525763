import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, InvalidArgsError, JobNotFoundError, JobNotWaitingError, ManualClock, MemoryStorage, Spool, defineJob } from '@spool/core';

const send = defineJob('messages.send', async (args: { to: string }) => ({ sentTo: args.to }), { queue: 'mail' });

let spool: Spool;
let clock: ManualClock;

function make(): Spool {
  clock = new ManualClock(Date.UTC(2030, 0, 1));
  spool = new Spool({ storage: new MemoryStorage({ clock }), jobs: [send] }, { clock });
  return spool;
}

afterEach(async () => {
  await spool?.close();
});

describe('changing a waiting job', () => {
  it('pushes a scheduled job to a new delay and records old and new due times', async () => {
    make();
    const id = await spool.schedule(send, { to: 'ann' }, { delay: '10m' });
    await spool.changeJob(id, { delay: '1h', priority: 3 });
    const job = (await spool.getJob(id))!;
    expect(job).toMatchObject({ state: 'scheduled', priority: 3, runAt: new Date(clock.now() + 3_600_000) });
    expect(job.history.at(-1)!.reason).toBe(
      'Changed by request: run at 2030-01-01T00:10:00.000Z → 2030-01-01T01:00:00.000Z, priority 0 → 3',
    );
  });

  it('checks new arguments as enqueue does', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'ann' });
    await expect(spool.changeJob(id, { args: { when: new Date() } })).rejects.toBeInstanceOf(InvalidArgsError);
    await spool.changeJob(id, { args: { to: 'bo' } });
    expect((await spool.getJob(id))!.args).toEqual({ to: 'bo' });
  });

  it('rejects unknown or missing fields with a suggestion', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'ann' });
    await expect(spool.changeJob(id, { priorty: 1 } as never)).rejects.toThrow(/did you mean "priority"/);
    await expect(spool.changeJob(id, {})).rejects.toBeInstanceOf(ConfigError);
  });

  it('refuses a running job with ERR_JOB_NOT_WAITING naming the state found', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'ann' });
    await spool.storage.jobClaim({ id, expected: ['enqueued'], serverId: 's', leaseMs: 30_000 });
    const refusal = spool.changeJob(id, { priority: 1 });
    await expect(refusal).rejects.toBeInstanceOf(JobNotWaitingError);
    await expect(refusal).rejects.toMatchObject({ code: 'ERR_JOB_NOT_WAITING', state: 'processing' });
    expect((await spool.getJob(id))!.priority).toBe(0);
  });

  it('refuses a due time for an enqueued job, saying only a scheduled job has one', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'ann' });
    await expect(spool.changeJob(id, { delay: '1m' })).rejects.toThrow(/allows changing priority, queue, args, not runAt/);
  });

  it('reports an unknown job', async () => {
    make();
    await expect(spool.changeJob('0190a1b2-0000-7000-8000-000000000000', { priority: 1 })).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

describe('running a scheduled job now', () => {
  it('puts it in its queue at once', async () => {
    make();
    const id = await spool.schedule(send, { to: 'ann' }, { delay: '1d' });
    expect(await spool.runNow(id)).toBe(true);
    const job = (await spool.getJob(id))!;
    expect(job.state).toBe('enqueued');
    expect(job.history.at(-1)!.reason).toBe('Run now by request');
    expect(await spool.runNow(id)).toBe(false);
  });

  it('refuses a finished job', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'ann' });
    await spool.delete(id);
    await expect(spool.runNow(id)).rejects.toMatchObject({ code: 'ERR_JOB_NOT_WAITING', state: 'deleted' });
  });
});
