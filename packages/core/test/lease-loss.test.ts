import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext, StorageEvent } from '@spool/core';
import { ManualRuntime, MemoryStorage, Spool, defineJob } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer } from './driven-server.js';

/** A memory storage that sends no wake-up events, like a storage that can only be polled. */
class PolledMemoryStorage extends MemoryStorage {
  override subscribe(): () => void {
    return () => undefined;
  }
}

let spool: Spool;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
});

describe('a server that loses a lease', () => {
  it('aborts the handler with ERR_LEASE_LOST once another server rescued its job', async () => {
    runtime = new ManualRuntime();
    const reasons: unknown[] = [];
    const waits = defineJob('waits', async (_args: null, ctx: JobContext) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      reasons.push(ctx.signal.reason);
      throw ctx.signal.reason;
    });
    spool = new Spool({ storage: new PolledMemoryStorage({ clock: runtime.clock }), jobs: [waits] }, runtime);
    // This server never rescues on its own (a long rescue interval): another server's watchdog will.
    // Its lease keeper is its only way to learn of the rescue: the storage sends no events.
    const server = await spool.startServer({ ...drivenServer, rescueInterval: '1h', shutdownTimeout: 100 });
    const log = new ServerEventLog(server);
    const id = await spool.enqueue(waits, null);
    await driveUntil(runtime, log.nextFor('job:started', id));
    // The server stalls past its lease: the clock moves on, its timers (the renewal at 10 s) lag.
    // Meanwhile another server rescues the job.
    runtime.clock.advance(31_000);
    const rescued = await spool.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 });
    expect(rescued.requeued).toEqual([id]);
    expect(reasons).toEqual([]);
    // The server wakes: its late renewal finds the lease gone.
    await runtime.advance(1);
    await log.nextFor('job:abandoned', id);
    expect(reasons[0]).toMatchObject({ code: 'ERR_LEASE_LOST' });
  });
});

/** A memory storage through which a test can deliver an event as another process would. */
class AnnouncingMemoryStorage extends MemoryStorage {
  private readonly outside = new Set<(event: StorageEvent) => void>();

  override subscribe(listener: (event: StorageEvent) => void): () => void {
    this.outside.add(listener);
    const off = super.subscribe(listener);
    return () => {
      this.outside.delete(listener);
      off();
    };
  }

  announce(event: StorageEvent): void {
    for (const listener of this.outside) listener(event);
  }
}

describe('a stale state event from another process', () => {
  it('does not abort a job whose lease this server still holds', async () => {
    runtime = new ManualRuntime();
    const storage = new AnnouncingMemoryStorage({ clock: runtime.clock });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let aborted = false;
    const waits = defineJob('held', async (_args: null, ctx: JobContext) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
      await held;
      return 'kept';
    });
    spool = new Spool({ storage, jobs: [waits] }, runtime);
    const server = await spool.startServer(drivenServer);
    const log = new ServerEventLog(server);
    const id = await spool.enqueue(waits, null);
    await log.nextFor('job:started', id);
    storage.announce({ type: 'job-state', id, state: 'enqueued' });
    // The server asks the storage whether it still holds the lease; the answer comes without time passing.
    await runtime.settle();
    expect(aborted).toBe(false);
    release();
    await log.nextFor('job:succeeded', id);
    expect(aborted).toBe(false);
  });
});
