import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '@spool/core';
import { ManualClock, MemoryStorage, Spool, defineJob } from '@spool/core';
import { fastServer, waitFor } from './helpers.js';

/** A memory storage that sends no wake-up events, like a storage that can only be polled. */
class PolledMemoryStorage extends MemoryStorage {
  override subscribe(): () => void {
    return () => undefined;
  }
}

let spool: Spool;

afterEach(async () => {
  await spool?.close();
});

describe('a server that loses a lease', () => {
  it('aborts the handler with ERR_LEASE_LOST once another server rescued its job', async () => {
    const clock = new ManualClock(Date.now());
    const reasons: unknown[] = [];
    const waits = defineJob('waits', async (_args: null, ctx: JobContext) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      reasons.push(ctx.signal.reason);
      throw ctx.signal.reason;
    });
    spool = new Spool({ storage: new PolledMemoryStorage({ clock }), jobs: [waits] }, { clock });
    // This server never rescues on its own (a long rescue interval): another server's watchdog will.
    await spool.startServer({ ...fastServer, rescueInterval: 3_600_000, shutdownTimeout: 100 });
    const id = await spool.enqueue(waits, null);
    await waitFor(async () => (await spool.getJob(id))?.state === 'processing', 'the job to start');
    clock.advance(31_000);
    const rescued = await spool.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 });
    expect(rescued.requeued).toEqual([id]);
    await waitFor(() => reasons.length > 0, 'the handler to be aborted');
    expect(reasons[0]).toMatchObject({ code: 'ERR_LEASE_LOST' });
  });
});
