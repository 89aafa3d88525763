import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';

import { quantile } from '../stats.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from './redis-bench-env.js';

function connection(): ConnectionOptions {
  const url = new URL(BENCH_REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
}

/** Jobs per second for BullMQ to add `count` no-op jobs with addBulk, in calls of `batch`. */
export async function bullEnqueueManyRate(count: number, batch: number): Promise<number> {
  const prefix = benchPrefix('bull');
  const queue = new Queue('bench', { connection: connection(), prefix });
  await queue.waitUntilReady();
  const jobs = Array.from({ length: batch }, (_, i) => ({ name: 'bench.noop', data: { i } }));
  const started = performance.now();
  for (let done = 0; done < count; done += batch) await queue.addBulk(jobs);
  const seconds = (performance.now() - started) / 1000;
  await queue.close();
  await dropKeys(prefix);
  return count / seconds;
}

/** Jobs per second for one BullMQ worker at `concurrency` to run `count` no-op jobs already added. */
export async function bullBurnDownRate(count: number, concurrency: number): Promise<number> {
  const prefix = benchPrefix('bull');
  const queue = new Queue('bench', { connection: connection(), prefix });
  for (let i = 0; i < count; i += 5000) {
    await queue.addBulk(Array.from({ length: Math.min(5000, count - i) }, () => ({ name: 'bench.noop', data: null })));
  }
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const worker = new Worker('bench', async () => undefined, { connection: connection(), prefix, concurrency });
  worker.on('completed', () => {
    if (++done === count) finish();
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  const completed = await queue.getCompletedCount();
  if (completed !== count) throw new Error(`BullMQ burn-down: expected ${count} completed, found ${completed}`);
  await queue.close();
  await dropKeys(prefix);
  return count / seconds;
}

/** Add-to-start latency in ms (p50, p99) at light load: one job at a time, worker in the same process. */
export async function bullLatency(samples: number): Promise<{ p50: number; p99: number }> {
  const prefix = benchPrefix('bull');
  const queue = new Queue('latency', { connection: connection(), prefix });
  let started: (at: number) => void = () => undefined;
  const worker = new Worker(
    'latency',
    async () => {
      started(performance.now());
    },
    { connection: connection(), prefix, concurrency: 10 },
  );
  await worker.waitUntilReady();
  await queue.waitUntilReady();
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const startedAt = new Promise<number>((resolve) => (started = resolve));
    const before = performance.now();
    await queue.add('bench.latency', null);
    latencies.push((await startedAt) - before);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await worker.close();
  await queue.close();
  await dropKeys(prefix);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}
