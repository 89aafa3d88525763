import { afterEach, describe, expect, it } from 'vitest';
import type { ManualRuntime, Spool } from '@spool/core';
import { defineJob, rateLimited } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer, drivenSpool } from './driven-server.js';

let spool: Spool | undefined;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
  spool = undefined;
});

describe('rateLimited', () => {
  it("defers the job without using an attempt and pauses its key until the delay ends, while other keys run", async () => {
    const calls: string[] = [];
    const charge = defineJob('payments.charge', async (args: { account: string; n: number }) => {
      calls.push(`${args.account}${args.n}`);
      if (calls.length === 1) throw rateLimited('30s');
      return 'charged';
    }, { attempts: 1, limits: { key: (a) => a.account, perKey: { concurrency: 1 } } });
    ({ spool, runtime } = drivenSpool([charge]));
    const a1 = await spool.enqueue(charge, { account: 'a', n: 1 });
    const a2 = await spool.enqueue(charge, { account: 'a', n: 2 });
    const b1 = await spool.enqueue(charge, { account: 'b', n: 1 });
    const server = await spool.startServer({ ...drivenServer, concurrency: 2 });
    const log = new ServerEventLog(server);
    const limited = await driveUntil(runtime, log.next('job:rate-limited'));
    expect(limited.job.id).toBe(a1);
    const until = limited.until.getTime();
    await driveUntil(runtime, log.nextFor('job:succeeded', b1));
    expect(await spool.getJob(a2)).toMatchObject({ state: 'enqueued' });
    await driveUntil(runtime, log.nextFor('job:started', a2), 1_000);
    // The key's pause held a2 back until its end (the clock is the test's: no time passes unasked).
    expect(runtime.clock.now()).toBeGreaterThanOrEqual(until);
    await driveUntil(runtime, log.nextFor('job:succeeded', a1), 1_000);
    const job = await spool.getJob(a1);
    expect(job).toMatchObject({ state: 'succeeded', attempt: 1, error: null });
    expect(job!.history.find((h) => h.state === 'scheduled')!.reason).toMatch(/^Rate limited by a remote until /);
  });

  it('refuses a delay it cannot read with a typed error', () => {
    expect(() => rateLimited('soon' as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});
