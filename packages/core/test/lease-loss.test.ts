import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext, StorageEvent } from '@spool/core';
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
    const storage = new AnnouncingMemoryStorage();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let aborted = false;
    const waits = defineJob('held', async (_args: null, ctx: JobContext) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
      await held;
      return 'kept';
    });
    spool = new Spool({ storage, jobs: [waits] });
    await spool.startServer(fastServer);
    const id = await spool.enqueue(waits, null);
    await waitFor(async () => (await spool.getJob(id))?.state === 'processing', 'the job to start');
    storage.announce({ type: 'job-state', id, state: 'enqueued' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await waitFor(async () => (await spool.getJob(id))?.state === 'succeeded', 'the job to succeed');
    expect(aborted).toBe(false);
  });
});
