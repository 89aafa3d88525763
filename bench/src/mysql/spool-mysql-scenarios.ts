import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import { Spool, defineJob } from '@spool/core';
import type { JobDefinition, Server } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';

import { latencyProbe } from '../latency-probe.js';
import { pollUntilFinished } from '../poll-until-finished.js';
import { measureServerLatency, timeBulkEnqueue } from '../spool-runs.js';
import { BENCH_MYSQL_URL, analyzeTables, dropTables, freshPrefix } from './mysql-tables.js';

export { BENCH_MYSQL_URL, analyzeTables, dropTables, freshPrefix } from './mysql-tables.js';

async function open(prefix: string, jobs: readonly JobDefinition[]): Promise<Spool> {
  const spool = new Spool({ storage: new MySqlStorage({ url: BENCH_MYSQL_URL, prefix }), jobs });
  await spool.init();
  return spool;
}

/**
 * Jobs per second for one server at `concurrency` (defaults otherwise) to run `count` no-op jobs
 * already enqueued. The clock stops when the maintained `state:succeeded` counters (what `stats()`
 * sums), read on a connection of their own, reach `count`.
 */
export async function mysqlBurnDown(count: number, concurrency: number): Promise<{ value: number }> {
  const prefix = freshPrefix();
  const noop = defineJob('bench.noop', () => undefined);
  try {
    const writer = await open(prefix, [noop]);
    for (let i = 0; i < count; i += 5000) await writer.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
    await writer.close();
    await analyzeTables(prefix);
    const runner = await open(prefix, [noop]);
    const monitor = await mysql.createConnection({ uri: BENCH_MYSQL_URL });
    let server: Server | null = null;
    try {
      const finished = async () => {
        const [rows] = await monitor.query<RowDataPacket[]>(`SELECT COALESCE(SUM(value), 0) AS n FROM \`${prefix}counters\` WHERE \`key\` = 'state:succeeded'`);
        return Number(rows[0]!.n);
      };
      if ((await finished()) !== 0) throw new Error('burn-down: storage reports jobs finished before the server started');
      const started = performance.now();
      server = await runner.startServer({ concurrency, handleSignals: false });
      const finish = await pollUntilFinished(finished, count);
      const value = count / ((finish.at - started) / 1000);
      const succeeded = (await runner.stats()).states.succeeded;
      if (succeeded !== count) throw new Error(`burn-down: expected ${count} succeeded, stats() says ${succeeded}`);
      return { value };
    } finally {
      await server?.stop();
      await runner.close();
      await monitor.end();
    }
  } finally {
    await dropTables(prefix);
  }
}

/** Jobs per second to enqueue `count` no-op jobs with enqueueMany, in batches of `batch`. */
export async function mysqlBulkEnqueue(count: number, batch: number): Promise<number> {
  const prefix = freshPrefix();
  const noop = defineJob('bench.noop', (_args: { i: number }) => undefined);
  const spool = await open(prefix, [noop]);
  try {
    return await timeBulkEnqueue(spool, noop, count, batch);
  } finally {
    await spool.close();
    await dropTables(prefix);
  }
}

/** Enqueue-to-start latency in ms (p50, p99) at light load: one job at a time, from a client to a server of another storage. */
export async function mysqlLatency(samples: number): Promise<{ p50: number; p99: number }> {
  const prefix = freshPrefix();
  const probe = latencyProbe();
  try {
    const client = await open(prefix, [probe.job]);
    return await measureServerLatency(client, await open(prefix, [probe.job]), probe, samples);
  } finally {
    await dropTables(prefix);
  }
}
