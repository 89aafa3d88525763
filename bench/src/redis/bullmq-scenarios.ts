import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';

import { quantile } from '../stats.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from './redis-bench-env.js';
import type { BurnDown } from './redis-burn-down.js';
import { measureBurnDown } from './redis-burn-down.js';

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

/**
 * BullMQ's configurations in the burn-down: its defaults (completed jobs kept, as Spool keeps them),
 * and its fastest documented one for this workload (completed jobs removed at once, `removeOnComplete:
 * { count: 0 }`, which keeps nothing to look at afterwards).
 */
export type BullConfig = 'defaults' | 'fastest';

/** Every state a BullMQ job can be in before it finishes. */
const UNFINISHED = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * One BullMQ worker at `concurrency` running `count` no-op jobs already added. The clock stops when
 * the queue's counts (`getJobCounts`, one call, on the queue's own connection) report all `count`
 * finished: `completed` reaching `count` with the defaults; with `removeOnComplete: { count: 0 }`
 * nothing is kept, so when no job is left unfinished (a job leaves `active` and is removed in one
 * script). Any failed job fails the run.
 */
export async function bullBurnDown(count: number, concurrency: number, config: BullConfig): Promise<BurnDown> {
  const prefix = benchPrefix('bull');
  const queue = new Queue('bench', { connection: connection(), prefix });
  for (let i = 0; i < count; i += 5000) {
    await queue.addBulk(Array.from({ length: Math.min(5000, count - i) }, () => ({ name: 'bench.noop', data: null })));
  }
  const finished = async (): Promise<number> => {
    const counts = await queue.getJobCounts('completed', 'failed', ...UNFINISHED);
    if ((counts.failed ?? 0) > 0) throw new Error(`BullMQ burn-down (${config}): ${counts.failed} jobs failed`);
    if (config === 'defaults') return counts.completed ?? 0;
    return count - UNFINISHED.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  };
  if ((await finished()) !== 0) throw new Error(`BullMQ burn-down (${config}): jobs finished before the worker started`);
  let worker: Worker | null = null;
  try {
    const result = await measureBurnDown(
      count,
      async () => {
        worker = new Worker('bench', async () => undefined, {
          connection: connection(),
          prefix,
          concurrency,
          ...(config === 'fastest' ? { removeOnComplete: { count: 0 } } : {}),
        });
      },
      finished,
    );
    await worker!.close();
    worker = null;
    const counts = await queue.getJobCounts('completed', 'waiting', 'active', 'failed', 'delayed');
    const expected = { completed: config === 'fastest' ? 0 : count, waiting: 0, active: 0, failed: 0, delayed: 0 };
    if (JSON.stringify(counts) !== JSON.stringify(expected)) throw new Error(`BullMQ burn-down (${config}): expected ${JSON.stringify(expected)}, found ${JSON.stringify(counts)}`);
    return result;
  } finally {
    await (worker as Worker | null)?.close();
    await queue.close();
    await dropKeys(prefix);
  }
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
