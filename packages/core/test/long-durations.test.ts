import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { fastServer, waitFor } from './helpers.js';

let spool: Spool;

afterEach(async () => {
  await spool?.close();
});

/** A memory storage that counts the server's heartbeats. */
class CountingStorage extends MemoryStorage {
  heartbeats = 0;

  override async serverHeartbeat(params: Parameters<MemoryStorage['serverHeartbeat']>[0]): Promise<void> {
    this.heartbeats++;
    return super.serverHeartbeat(params);
  }
}

describe('durations past what a single timer can hold (2^31 - 1 ms, about 24.8 days)', () => {
  // Longer than the grace an aborted handler gets to settle (1 s), so an early timeout would fail it.
  it('lets a job with a 25-day timeout run to its end', async () => {
    const nap = defineJob('nap', () => new Promise((resolve) => setTimeout(() => resolve('rested'), 1500)), { timeout: '25d', attempts: 1 });
    spool = new Spool({ storage: new MemoryStorage(), jobs: [nap] });
    await spool.startServer(fastServer);
    const id = await spool.enqueue(nap, null);
    const job = await waitFor(async () => {
      const current = await spool.getJob(id);
      return current?.state === 'succeeded' || current?.state === 'failed' ? current : null;
    }, 'the job to finish');
    expect({ state: job.state, result: job.result }).toEqual({ state: 'succeeded', result: 'rested' });
  });

  it('waits a 30-day heartbeat interval instead of beating at once, over and over', async () => {
    const storage = new CountingStorage();
    const noop = defineJob('noop', () => null);
    spool = new Spool({ storage, jobs: [noop] });
    await spool.startServer({ ...fastServer, heartbeatInterval: '30d' });
    // A few rounds of work: a heartbeat loop without a wait would beat hundreds of times meanwhile.
    for (let i = 0; i < 5; i++) {
      const id = await spool.enqueue(noop, null);
      await waitFor(async () => (await spool.getJob(id))?.state === 'succeeded', 'a job to succeed');
    }
    // One at start, one from the heartbeat process's first round; the next is due in 30 days.
    expect(storage.heartbeats).toBeLessThanOrEqual(2);
  });

  it('refuses a delay that no date can hold with a typed error, and stores nothing', async () => {
    const noop = defineJob('noop', () => null);
    spool = new Spool({ storage: new MemoryStorage(), jobs: [noop] });
    await expect(spool.schedule(noop, null, { delay: 1e16 })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(spool.schedule(noop, null, { delay: '400000d' })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    expect((await spool.stats()).states.scheduled).toBe(0);
  });
});
