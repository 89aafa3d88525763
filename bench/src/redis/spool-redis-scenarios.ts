import { Spool, defineJob } from '@spool/core';
import type { Server } from '@spool/core';
import { RedisStorage } from '@spool/redis';

import { latencyProbe } from '../latency-probe.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from './redis-bench-env.js';
import type { BurnDown } from './redis-burn-down.js';
import { measureBurnDown } from './redis-burn-down.js';

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
 * One Spool server at `concurrency` running `count` no-op jobs already enqueued. The clock stops when
 * the storage reports all `count` succeeded: `stats()`, the monitoring read model, of a second
 * storage on the same prefix (its own connection), as a dashboard would read it.
 */
export async function spoolBurnDown(count: number, concurrency: number): Promise<BurnDown> {
  const prefix = benchPrefix('spool');
  const noop = defineJob('bench.noop', () => undefined);
  const spool = new Spool({ storage: storage(prefix), jobs: [noop] });
  for (let i = 0; i < count; i += 5000) await spool.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
  const monitor = new Spool({ storage: storage(prefix), jobs: [] });
  const succeeded = async () => (await monitor.stats()).states.succeeded;
  if ((await succeeded()) !== 0) throw new Error('Spool burn-down: jobs succeeded before the server started');
  let server: Server | null = null;
  try {
    const result = await measureBurnDown(
      count,
      async () => {
        server = await spool.startServer({ concurrency, handleSignals: false });
      },
      succeeded,
    );
    await server!.stop();
    server = null;
    const final = await succeeded();
    if (final !== count) throw new Error(`Spool burn-down: expected ${count} succeeded, found ${final}`);
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
