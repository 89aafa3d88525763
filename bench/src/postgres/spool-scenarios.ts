import { Spool, defineJob } from '@spool/core';
import type { JobDefinition, ServerOptions } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { latencyProbe } from '../latency-probe.js';
import type { JobCost } from './cost-meter.js';
import { startCostMeter } from './cost-meter.js';
import { BENCH_POSTGRES_URL, dropSchema, freshSchema } from './database.js';

/** A Spool configuration under test: server options and storage pool size. */
export interface SpoolConfig {
  label: string;
  server: Omit<ServerOptions, 'concurrency' | 'handleSignals'>;
  poolSize?: number;
}

/** Spool as users start it: nothing but the concurrency. */
export const SPOOL_DEFAULTS: SpoolConfig = { label: 'defaults', server: {} };

/** What a backlog of other jobs looks like while the burn-down runs. */
export type Backlog = 'none' | 'unknown-name' | 'far-future';

async function open(config: SpoolConfig, schema: string, jobs: readonly JobDefinition[]): Promise<Spool> {
  const storage = new PostgresStorage({ connectionString: BENCH_POSTGRES_URL, schema, ...(config.poolSize ? { poolSize: config.poolSize } : {}) });
  const spool = new Spool({ storage, jobs });
  await spool.init();
  return spool;
}

/** A burn-down's rate and what each job cost. */
export interface BurnDownResult {
  /** Jobs per second. */
  value: number;
  cost: JobCost;
}

/** Jobs per second for one server at `concurrency` to run `count` no-op jobs already enqueued, with an optional backlog. */
export async function spoolBurnDown(config: SpoolConfig, count: number, concurrency: number, backlog: Backlog = 'none', backlogSize = 200_000): Promise<BurnDownResult> {
  const schema = freshSchema('bench_spool');
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const noop = defineJob('bench.noop', () => {
    if (++done === count) finish();
  });
  const other = defineJob('bench.other', () => undefined);
  const spool = await open(config, schema, [noop, other]);
  try {
    if (backlog !== 'none') {
      // The backlog: jobs of a name this server does not run (it registers only bench.noop below), or due in a year.
      const writer = await open(SPOOL_DEFAULTS, schema, [other]);
      const batch = Array.from({ length: 5000 }, () => null);
      for (let i = 0; i < backlogSize; i += 5000) {
        if (backlog === 'unknown-name') await writer.enqueueMany(other, batch);
        else await writer.enqueueMany(other, batch, { delay: '365d' });
      }
      await writer.close();
    }
    for (let i = 0; i < count; i += 5000) await spool.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
    // The server registers only bench.noop: jobs of other names stay where they are.
    const runner = await open(config, schema, [noop]);
    const meter = await startCostMeter();
    const started = performance.now();
    const server = await runner.startServer({ ...config.server, concurrency, handleSignals: false });
    await finished;
    const seconds = (performance.now() - started) / 1000;
    const cost = await meter.stop(count);
    await server.stop();
    const succeeded = (await runner.stats()).states.succeeded;
    await runner.close();
    if (succeeded !== count) throw new Error(`burn-down: expected ${count} succeeded, found ${succeeded}`);
    return { value: count / seconds, cost };
  } finally {
    await spool.close();
    await dropSchema(schema);
  }
}

/** Jobs per second to enqueue `count` no-op jobs with enqueueMany, in batches of `batch`. */
export async function spoolBulkEnqueue(count: number, batch: number): Promise<number> {
  const schema = freshSchema('bench_spool');
  const noop = defineJob('bench.noop', () => undefined);
  const spool = await open(SPOOL_DEFAULTS, schema, [noop]);
  try {
    const args = Array.from({ length: batch }, (_, i) => ({ i }));
    const started = performance.now();
    for (let done = 0; done < count; done += batch) await spool.enqueueMany(noop, args);
    return count / ((performance.now() - started) / 1000);
  } finally {
    await spool.close();
    await dropSchema(schema);
  }
}

/** Enqueue-to-start latency in ms (p50, p99) at light load: one job at a time. */
export async function spoolLatency(config: SpoolConfig, samples: number): Promise<{ p50: number; p99: number }> {
  const schema = freshSchema('bench_spool');
  const probe = latencyProbe();
  const client = await open(SPOOL_DEFAULTS, schema, [probe.job]);
  const worker = await open(config, schema, [probe.job]);
  const server = await worker.startServer({ ...config.server, concurrency: 10, handleSignals: false });
  try {
    // Let the server's LISTEN connection come up first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return await probe.measure(() => client.enqueue(probe.job, null), samples, 5);
  } finally {
    await server.stop();
    await worker.close();
    await client.close();
    await dropSchema(schema);
  }
}
