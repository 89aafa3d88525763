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

async function repeat(what: string, run: () => Promise<number>): Promise<number> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await run());
    process.stderr.write(`  ${what}: run ${i + 1}/${runs}: ${results.at(-1)!.toFixed(1)}\n`);
  }
  return median(results);
}

async function latency(what: string, run: () => Promise<{ p50: number; p99: number }>): Promise<{ p50: number; p99: number }> {
  const results: Array<{ p50: number; p99: number }> = [];
  for (let i = 0; i < runs; i++) {
    results.push(await run());
    process.stderr.write(`  ${what}: run ${i + 1}/${runs}: p50 ${results.at(-1)!.p50.toFixed(2)} ms, p99 ${results.at(-1)!.p99.toFixed(2)} ms\n`);
  }
  return { p50: median(results.map((r) => r.p50)), p99: median(results.map((r) => r.p99)) };
}

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

// Interleaved per workload (Spool, then BullMQ) so both see the same machine load.
const burnSpool = await repeat('Spool burn-down 20,000 no-op jobs, concurrency 10 (jobs/s)', () => spoolBurnDownRate(20_000, 10));
const burnBull = await repeat('BullMQ burn-down 20,000 no-op jobs, concurrency 10 (jobs/s)', () => bullBurnDownRate(20_000, 10));
rows.push(['burn-down of 20,000 no-op jobs, one process, concurrency 10', fmt(burnSpool), fmt(burnBull), `${(burnSpool / burnBull).toFixed(2)}x`]);
const bulkSpool = await repeat('Spool enqueueMany 100,000 jobs in calls of 1,000 (jobs/s)', () => spoolEnqueueManyRate(100_000, 1000));
const bulkBull = await repeat('BullMQ addBulk 100,000 jobs in calls of 1,000 (jobs/s)', () => bullEnqueueManyRate(100_000, 1000));
rows.push(['bulk enqueue, 100,000 jobs in calls of 1,000 (`enqueueMany` / `addBulk`)', fmt(bulkSpool), fmt(bulkBull), `${(bulkSpool / bulkBull).toFixed(2)}x`]);
const latSpool = await latency('Spool enqueue-to-start latency', () => spoolLatency(500));
const latBull = await latency('BullMQ add-to-start latency', () => bullLatency(500));
rows.push([
  'enqueue-to-start latency at light load, p50 / p99',
  `${latSpool.p50.toFixed(2)} ms / ${latSpool.p99.toFixed(2)} ms`,
  `${latBull.p50.toFixed(2)} ms / ${latBull.p99.toFixed(2)} ms`,
  '',
]);

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
