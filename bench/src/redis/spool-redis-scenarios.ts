import { Spool, defineJob } from '@spool/core';
import type { Server } from '@spool/core';
import { RedisStorage } from '@spool/redis';

import { latencyProbe } from '../latency-probe.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from './redis-bench-env.js';
import type { Backlog, BurnDown } from './redis-burn-down.js';
import { BACKLOG_BATCH, measureBurnDown } from './redis-burn-down.js';

function storage(prefix: string): RedisStorage {
  return new RedisStorage({ url: BENCH_REDIS_URL, prefix });
}

/** Jobs per second for Spool to enqueue `count` no-op jobs with enqueueMany, in calls of `batch`. */
export async function spoolEnqueueManyRate(count: number, batch: number): Promise<number> {
  const prefix = benchPrefix('spool');
  const noop = defineJob('bench.noop', () => undefined);
  const spool = new Spool({ storage: storage(prefix), jobs: [noop] });
  await spool.init();
  const args = Array.from({ length: batch }, (_, i) => ({ i }));
  const started = performance.now();
  for (let done = 0; done < count; done += batch) await spool.enqueueMany(noop, args);
  const seconds = (performance.now() - started) / 1000;
  await spool.close();
  await dropKeys(`{${prefix}}`);
  return count / seconds;
}

/**
 * One Spool server at `concurrency` running `count` no-op jobs already enqueued, with an optional
 * backlog of `backlogSize` jobs enqueued first (in calls of {@link BACKLOG_BATCH}): in queue 'other',
 * which the server (queues: its default, 'default') does not serve, or due in a year in the served
 * queue. The clock stops when the storage reports all `count` succeeded: `stats()`, the monitoring
 * read model, of a second storage on the same prefix (its own connection), as a dashboard would read
 * it. The backlog stays as it was, which the run checks afterwards.
 */
export async function spoolBurnDown(count: number, concurrency: number, backlog: Backlog = 'none', backlogSize = 200_000): Promise<BurnDown> {
  const prefix = benchPrefix('spool');
  const noop = defineJob('bench.noop', () => undefined);
  const spool = new Spool({ storage: storage(prefix), jobs: [noop] });
  const monitor = new Spool({ storage: storage(prefix), jobs: [] });
  let server: Server | null = null;
  try {
    const options = backlog === 'unknown' ? { queue: 'other' } : { delay: '365d' };
    const batch = Array.from({ length: BACKLOG_BATCH }, () => null);
    for (let i = 0; i < (backlog === 'none' ? 0 : backlogSize); i += BACKLOG_BATCH) {
      await spool.enqueueMany(noop, backlogSize - i < BACKLOG_BATCH ? batch.slice(0, backlogSize - i) : batch, options);
    }
    for (let i = 0; i < count; i += 5000) await spool.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
    const succeeded = async () => (await monitor.stats()).states.succeeded;
    if ((await succeeded()) !== 0) throw new Error('Spool burn-down: jobs succeeded before the server started');
    const result = await measureBurnDown(
      count,
      async () => {
        server = await spool.startServer({ concurrency, handleSignals: false });
      },
      succeeded,
    );
    await server!.stop();
    server = null;
    const { states } = await monitor.stats();
    const waiting = backlog === 'none' ? 0 : backlogSize;
    const expected = { succeeded: count, enqueued: backlog === 'unknown' ? waiting : 0, scheduled: backlog === 'future' ? waiting : 0 };
    const found = { succeeded: states.succeeded, enqueued: states.enqueued, scheduled: states.scheduled };
    if (JSON.stringify(found) !== JSON.stringify(expected)) throw new Error(`Spool burn-down (${backlog}): expected ${JSON.stringify(expected)}, found ${JSON.stringify(found)}`);
    return result;
  } finally {
    await (server as Server | null)?.stop();
    await monitor.close();
    await spool.close();
    await dropKeys(`{${prefix}}`);
  }
}

/** Enqueue-to-start latency in ms (p50, p99) at light load: one job at a time, server in the same process. */
export async function spoolLatency(samples: number): Promise<{ p50: number; p99: number }> {
  const prefix = benchPrefix('spool');
  const probe = latencyProbe();
  const spool = new Spool({ storage: storage(prefix), jobs: [probe.job] });
  const server = await spool.startServer({ concurrency: 10, handleSignals: false });
  const latency = await probe.measure(() => spool.enqueue(probe.job, null), samples, 2);
  await server.stop();
  await spool.close();
  await dropKeys(`{${prefix}}`);
  return latency;
}
