import { Spool, defineJob } from '@spool/core';
import { RedisStorage } from '@spool/redis';

import { latencyProbe } from '../latency-probe.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from './redis-bench-env.js';
import type { BurnDown } from './redis-cpu.js';
import { measureBurnDown } from './redis-cpu.js';

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
 * One Spool server at `concurrency` running `count` no-op jobs already enqueued; a job counts when its
 * outcome is recorded (`job:succeeded`), as BullMQ's count on its `completed` event.
 */
export async function spoolBurnDown(count: number, concurrency: number): Promise<BurnDown> {
  const prefix = benchPrefix('spool');
  const noop = defineJob('bench.noop', () => undefined);
  const spool = new Spool({ storage: storage(prefix), jobs: [noop] });
  for (let i = 0; i < count; i += 5000) await spool.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let server!: Awaited<ReturnType<typeof spool.startServer>>;
  const result = await measureBurnDown(count, async () => {
    server = await spool.startServer({ concurrency, handleSignals: false });
    server.events.on('job:succeeded', () => {
      if (++done === count) finish();
    });
    await finished;
  });
  await server.stop();
  const succeeded = (await spool.stats()).states.succeeded;
  if (succeeded !== count) throw new Error(`Spool burn-down: expected ${count} succeeded, found ${succeeded}`);
  await spool.close();
  await dropKeys(`{${prefix}}`);
  return result;
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
