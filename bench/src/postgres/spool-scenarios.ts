import { Spool, defineJob } from '@spool/core';
import type { JobDefinition, Server, ServerOptions } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { latencyProbe } from '../latency-probe.js';
import { measureServerLatency, timeBulkEnqueue } from '../spool-runs.js';
import type { BurnDownResult } from './burn-down.js';
import { measureBurnDown } from './burn-down.js';
import { BENCH_POSTGRES_URL, dropSchema, execute, freshSchema } from './database.js';

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

/**
 * Jobs per second for one server at `concurrency` to run `count` no-op jobs already enqueued, with an
 * optional backlog, and what each job cost. The clock stops when the maintained `state:succeeded`
 * counter (what `stats()`, the monitoring read model, sums) reaches `count`.
 */
export async function spoolBurnDown(config: SpoolConfig, count: number, concurrency: number, backlog: Backlog = 'none', backlogSize = 200_000): Promise<BurnDownResult> {
  const schema = freshSchema('bench_spool');
  const noop = defineJob('bench.noop', () => undefined);
  const other = defineJob('bench.other', () => undefined);
  try {
    // The pre-fill's connections close before the clock starts, so their work is counted before it.
    const writer = await open(SPOOL_DEFAULTS, schema, [noop, other]);
    // The backlog: jobs of a name this server does not run (it registers only bench.noop below), or due in a year.
    for (let i = 0; i < (backlog === 'none' ? 0 : backlogSize); i += 5000) {
      const batch = Array.from({ length: Math.min(5000, backlogSize - i) }, () => null);
      if (backlog === 'unknown-name') await writer.enqueueMany(other, batch);
      else await writer.enqueueMany(other, batch, { delay: '365d' });
    }
    for (let i = 0; i < count; i += 5000) await writer.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
    await writer.close();
    // The server registers only bench.noop: jobs of other names stay where they are.
    const runner = await open(config, schema, [noop]);
    let server: Server | null = null;
    const result = await measureBurnDown(count, {
      schema,
      finished: async (query) => Number((await query(`SELECT coalesce(sum(value), 0)::bigint AS n FROM "${schema}".counters WHERE key = 'state:succeeded'`))[0]!.n),
      async start() {
        server = await runner.startServer({ ...config.server, concurrency, handleSignals: false });
      },
      async stop() {
        await server?.stop();
        await runner.close();
      },
    });
    const check = await open(SPOOL_DEFAULTS, schema, [noop]);
    const succeeded = (await check.stats()).states.succeeded;
    await check.close();
    const rows = Number((await execute(`SELECT count(*) AS n FROM "${schema}".jobs WHERE state = 'succeeded'`)).rows[0].n);
    if (succeeded !== count || rows !== count) throw new Error(`burn-down: expected ${count} succeeded, found ${succeeded} in stats() and ${rows} rows`);
    return result;
  } finally {
    await dropSchema(schema);
  }
}

/** Jobs per second to enqueue `count` no-op jobs with enqueueMany, in batches of `batch`. */
export async function spoolBulkEnqueue(count: number, batch: number): Promise<number> {
  const schema = freshSchema('bench_spool');
  const noop = defineJob('bench.noop', (_args: { i: number }) => undefined);
  const spool = await open(SPOOL_DEFAULTS, schema, [noop]);
  try {
    return await timeBulkEnqueue(spool, noop, count, batch);
  } finally {
    await spool.close();
    await dropSchema(schema);
  }
}

/** Enqueue-to-start latency in ms (p50, p99) at light load: one job at a time. */
export async function spoolLatency(config: SpoolConfig, samples: number): Promise<{ p50: number; p99: number }> {
  const schema = freshSchema('bench_spool');
  const probe = latencyProbe();
  try {
    const client = await open(SPOOL_DEFAULTS, schema, [probe.job]);
    return await measureServerLatency(client, await open(config, schema, [probe.job]), probe, samples, config.server);
  } finally {
    await dropSchema(schema);
  }
}
