/**
 * Spool on Redis side by side with BullMQ, on the same Redis in the same run (separate key prefixes).
 * `node bench/dist/run-redis.js --runs 3`; `SPOOL_BENCH_REDIS_URL` picks the Redis (default local).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { Redis } from 'ioredis';

import { bullBurnDownRate, bullEnqueueManyRate, bullLatency } from './redis/bullmq-scenarios.js';
import { BENCH_REDIS_URL } from './redis/redis-bench-env.js';
import { spoolBurnDownRate, spoolEnqueueManyRate, spoolLatency } from './redis/spool-redis-scenarios.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(values.runs));

/**
 * Runs one workload for Spool and for BullMQ, alternating run by run (Spool, BullMQ, Spool, ...), so a
 * change of load on a shared machine hits both alike; returns the medians.
 */
async function pair<T>(what: string, spool: () => Promise<T>, bull: () => Promise<T>, show: (value: T) => string): Promise<{ spool: T[]; bull: T[] }> {
  const results = { spool: [] as T[], bull: [] as T[] };
  for (let i = 0; i < runs; i++) {
    results.spool.push(await spool());
    process.stderr.write(`  ${what}, Spool: run ${i + 1}/${runs}: ${show(results.spool.at(-1)!)}\n`);
    results.bull.push(await bull());
    process.stderr.write(`  ${what}, BullMQ: run ${i + 1}/${runs}: ${show(results.bull.at(-1)!)}\n`);
  }
  return results;
}

const rate = (n: number) => `${n.toFixed(0)} jobs/s`;
const lat = (l: { p50: number; p99: number }) => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms`;

function version(pkg: string): string {
  const require = createRequire(import.meta.url);
  let dir = require.resolve(pkg);
  for (;;) {
    const up = dir.slice(0, dir.lastIndexOf('/'));
    if (up === dir) return 'unknown';
    dir = up;
    try {
      const json = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg) return json.version ?? 'unknown';
    } catch {
      // keep walking up
    }
  }
}

const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')} jobs/s`;
const rows: string[][] = [];

const burn = await pair('burn-down 20,000 no-op jobs, concurrency 10', () => spoolBurnDownRate(20_000, 10), () => bullBurnDownRate(20_000, 10), rate);
const burnSpool = median(burn.spool);
const burnBull = median(burn.bull);
rows.push(['burn-down of 20,000 no-op jobs, one process, concurrency 10', fmt(burnSpool), fmt(burnBull), `${(burnSpool / burnBull).toFixed(2)}x`]);
const bulk = await pair('bulk enqueue 100,000 jobs in calls of 1,000', () => spoolEnqueueManyRate(100_000, 1000), () => bullEnqueueManyRate(100_000, 1000), rate);
const bulkSpool = median(bulk.spool);
const bulkBull = median(bulk.bull);
rows.push(['bulk enqueue, 100,000 jobs in calls of 1,000 (`enqueueMany` / `addBulk`)', fmt(bulkSpool), fmt(bulkBull), `${(bulkSpool / bulkBull).toFixed(2)}x`]);
const latency = await pair('enqueue-to-start latency, 500 jobs one at a time', () => spoolLatency(500), () => bullLatency(500), lat);
const ms = (list: Array<{ p50: number; p99: number }>) => `${median(list.map((l) => l.p50)).toFixed(2)} ms / ${median(list.map((l) => l.p99)).toFixed(2)} ms`;
rows.push(['enqueue-to-start latency at light load, p50 / p99', ms(latency.spool), ms(latency.bull), '']);

const probe = new Redis(BENCH_REDIS_URL);
const redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? 'unknown';
probe.disconnect();
console.log(
  `Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Redis ${redisVersion}, ` +
    `ioredis ${version('ioredis')}, BullMQ ${version('bullmq')}, median of ${runs} runs\n`,
);
console.log('| workload | Spool on Redis | BullMQ | Spool / BullMQ |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
