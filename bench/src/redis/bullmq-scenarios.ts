import { Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';

import { quantile } from '../stats.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from './redis-bench-env.js';
import type { Backlog, BurnDown } from './redis-burn-down.js';
import { BACKLOG_BATCH, ONE_YEAR_MS, measureBurnDown } from './redis-burn-down.js';

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
 * One BullMQ worker at `concurrency` running `count` no-op jobs already added, with an optional
 * backlog of `backlogSize` jobs added first (addBulk in calls of {@link BACKLOG_BATCH}): in a second
 * queue, 'other', on the same Redis and prefix that no worker serves, or delayed by a year in the
 * served queue. The clock stops when the queue's counts (`getJobCounts`, one call, on the queue's own
 * connection) report all `count` finished: `completed` reaching `count` with the defaults; with
 * `removeOnComplete: { count: 0 }` nothing is kept, so when no job of the burn-down is left
 * unfinished (a job leaves `active` and is removed in one script; the delayed backlog is not the
 * burn-down's). Any failed job fails the run, and so does a backlog that moved.
 */
export async function bullBurnDown(count: number, concurrency: number, config: BullConfig, backlog: Backlog = 'none', backlogSize = 200_000): Promise<BurnDown> {
  const prefix = benchPrefix('bull');
  const queue = new Queue('bench', { connection: connection(), prefix });
  const other = backlog === 'unknown' ? new Queue('other', { connection: connection(), prefix }) : null;
  let worker: Worker | null = null;
  try {
    const waiting = backlog === 'none' ? 0 : backlogSize;
    const target = other ?? queue;
    const options = backlog === 'future' ? { delay: ONE_YEAR_MS } : undefined;
    for (let i = 0; i < waiting; i += BACKLOG_BATCH) {
      await target.addBulk(Array.from({ length: Math.min(BACKLOG_BATCH, waiting - i) }, () => ({ name: 'bench.noop', data: null, ...(options ? { opts: options } : {}) })));
    }
    await other?.close();
    for (let i = 0; i < count; i += 5000) {
      await queue.addBulk(Array.from({ length: Math.min(5000, count - i) }, () => ({ name: 'bench.noop', data: null })));
    }
    // Jobs in the served queue that are not the burn-down's: the delayed backlog.
    const notOurs = backlog === 'future' ? waiting : 0;
    const finished = async (): Promise<number> => {
      const counts = await queue.getJobCounts('completed', 'failed', ...UNFINISHED);
      if ((counts.failed ?? 0) > 0) throw new Error(`BullMQ burn-down (${config}): ${counts.failed} jobs failed`);
      if (config === 'defaults') return counts.completed ?? 0;
      return count + notOurs - UNFINISHED.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
    };
    if ((await finished()) !== 0) throw new Error(`BullMQ burn-down (${config}): jobs finished before the worker started`);
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
    const expected = { completed: config === 'fastest' ? 0 : count, waiting: 0, active: 0, failed: 0, delayed: notOurs };
    if (JSON.stringify(counts) !== JSON.stringify(expected)) throw new Error(`BullMQ burn-down (${config}): expected ${JSON.stringify(expected)}, found ${JSON.stringify(counts)}`);
    if (backlog === 'unknown') {
      const check = new Queue('other', { connection: connection(), prefix });
      const left = await check.getJobCounts('waiting', 'active', 'completed');
      await check.close();
      if (left.waiting !== waiting || left.active !== 0 || left.completed !== 0) throw new Error(`BullMQ burn-down (${config}): backlog of ${waiting} in 'other' became ${JSON.stringify(left)}`);
    }
    return result;
  } finally {
    await (worker as Worker | null)?.close();
    await other?.close();
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
