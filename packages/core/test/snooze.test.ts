import { afterEach, describe, expect, it } from 'vitest';
import type { Spool , ManualRuntime} from '@spool/core';
import { defineJob } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer, drivenSpool } from './driven-server.js';

let spool: Spool | undefined;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
  spool = undefined;
});

describe('ctx.snooze', () => {
  it('runs the job again after the delay, without counting the attempt or recording an error', async () => {
    const seen: number[] = [];
    const remote = defineJob('remote.poll', async (_args: null, ctx) => {
      seen.push(ctx.attempt);
      if (seen.length === 1) return ctx.snooze('10m');
      return 'ready';
    }, { attempts: 1 });
    ({ spool, runtime } = drivenSpool([remote]));
    const server = await spool.startServer(drivenServer);
    const log = new ServerEventLog(server);
    const id = await spool.enqueue(remote, null);
    const snoozed = await driveUntil(runtime, log.next('job:snoozed'));
    expect(snoozed.runAt.getTime()).toBe(runtime.clock.now() + 600_000);
    const waiting = await spool.getJob(id);
    expect(waiting).toMatchObject({ state: 'scheduled', attempt: 0, error: null });
    expect(waiting!.history.at(-1)!.reason).toMatch(/^Snoozed until .* \(the attempt does not count\)$/);
    runtime.clock.advance(600_000);
    await driveUntil(runtime, log.next('job:succeeded'));
    // One attempt allowed, and still it ran twice: the snooze did not use it up.
    expect(seen).toEqual([1, 1]);
    expect(await spool.getJob(id)).toMatchObject({ state: 'succeeded', attempt: 1, result: 'ready' });
  });

  it('refuses a delay it cannot read with a typed error, which fails the attempt like any error', async () => {
    const bad = defineJob('bad.snooze', async (_args: null, ctx) => ctx.snooze('soon' as never), { attempts: 1 });
    ({ spool, runtime } = drivenSpool([bad]));
    const server = await spool.startServer(drivenServer);
    const log = new ServerEventLog(server);
    await spool.enqueue(bad, null);
    const failed = await driveUntil(runtime, log.next('job:failed'));
    expect(failed.error).toMatchObject({ code: 'ERR_CONFIG' });
    expect(failed.error.message).toContain('ctx.snooze(delay)');
  });
});
