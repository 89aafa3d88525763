/**
 * Spool on Redis side by side with BullMQ, on the same Redis in the same run (separate key prefixes).
 * `node bench/dist/run-redis.js --runs 3`; `SPOOL_BENCH_REDIS_URL` picks the Redis (default local). The
 * burn-down runs BullMQ twice: with its defaults and in its fastest documented configuration. A quick
 * check with small counts: `--jobs 2000 --bulk 10000 --samples 100` (burn-down jobs, bulk-enqueued
 * jobs, latency samples; defaults 20,000, 100,000 and 500).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { Redis } from 'ioredis';

import { bullBurnDown, bullEnqueueManyRate, bullLatency } from './redis/bullmq-scenarios.js';
import { BENCH_REDIS_URL } from './redis/redis-bench-env.js';
import type { BurnDown } from './redis/redis-burn-down.js';
import { spoolBurnDown, spoolEnqueueManyRate, spoolLatency } from './redis/spool-redis-scenarios.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, jobs: { type: 'string', default: '20000' }, bulk: { type: 'string', default: '100000' }, samples: { type: 'string', default: '500' } },
});
const runs = Math.max(1, Number(values.runs));
const jobs = Math.max(1, Number(values.jobs));
const bulkJobs = Math.max(1000, Number(values.bulk));
const samples = Math.max(1, Number(values.samples));
const n = (value: number) => value.toLocaleString('en-US');

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

// Burn-down: Spool, BullMQ with its defaults, BullMQ in its fastest documented configuration, in turn.
const burnRuns = { spool: [] as BurnDown[], defaults: [] as BurnDown[], fastest: [] as BurnDown[] };
const burnShow = (b: BurnDown) =>
  `${rate(b.jobsPerSecond)} (per job: Redis CPU ${b.redisCpuUsPerJob.toFixed(1)} µs, Redis commands ${b.redisCommandsPerJob.toFixed(2)}, process CPU ${b.processCpuUsPerJob.toFixed(1)} µs)`;
for (let i = 0; i < runs; i++) {
  for (const [who, run] of [
    ['spool', () => spoolBurnDown(jobs, 10)],
    ['defaults', () => bullBurnDown(jobs, 10, 'defaults')],
    ['fastest', () => bullBurnDown(jobs, 10, 'fastest')],
  ] as const) {
    burnRuns[who].push(await run());
    process.stderr.write(`  burn-down ${n(jobs)} no-op jobs, concurrency 10, ${who === 'spool' ? 'Spool' : `BullMQ ${who}`}: run ${i + 1}/${runs}: ${burnShow(burnRuns[who].at(-1)!)}\n`);
  }
}
const burnMedian = (list: BurnDown[], key: keyof BurnDown) => median(list.map((b) => b[key]));
const burnSpool = burnMedian(burnRuns.spool, 'jobsPerSecond');
for (const config of ['defaults', 'fastest'] as const) {
  const bull = burnMedian(burnRuns[config], 'jobsPerSecond');
  const label = config === 'defaults' ? 'BullMQ defaults, completed jobs kept' : 'BullMQ fastest: `removeOnComplete: { count: 0 }`';
  rows.push([`burn-down of ${n(jobs)} no-op jobs, one process, concurrency 10, until storage reports all finished (${label})`, fmt(burnSpool), fmt(bull), `${(burnSpool / bull).toFixed(2)}x`]);
}
const cpuRows = (['spool', 'defaults', 'fastest'] as const).map((who) => [
  who === 'spool' ? 'Spool' : `BullMQ ${who}`,
  `${burnMedian(burnRuns[who], 'redisCpuUsPerJob').toFixed(1)} µs`,
  burnMedian(burnRuns[who], 'redisCommandsPerJob').toFixed(2),
  `${burnMedian(burnRuns[who], 'processCpuUsPerJob').toFixed(1)} µs`,
]);
const bulk = await pair(`bulk enqueue ${n(bulkJobs)} jobs in calls of 1,000`, () => spoolEnqueueManyRate(bulkJobs, 1000), () => bullEnqueueManyRate(bulkJobs, 1000), rate);
const bulkSpool = median(bulk.spool);
const bulkBull = median(bulk.bull);
rows.push([`bulk enqueue, ${n(bulkJobs)} jobs in calls of 1,000 (\`enqueueMany\` / \`addBulk\`)`, fmt(bulkSpool), fmt(bulkBull), `${(bulkSpool / bulkBull).toFixed(2)}x`]);
const latency = await pair(`enqueue-to-start latency, ${n(samples)} jobs one at a time`, () => spoolLatency(samples), () => bullLatency(samples), lat);
const ms = (list: Array<{ p50: number; p99: number }>) => `${median(list.map((l) => l.p50)).toFixed(2)} ms / ${median(list.map((l) => l.p99)).toFixed(2)} ms`;
rows.push(['enqueue-to-start latency (enqueue call to handler start) at light load, p50 / p99', ms(latency.spool), ms(latency.bull), '']);

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
console.log(
  "\nPer job in the burn-down, from the workers' start until storage reported all jobs finished (medians; Redis: the whole server in that time, the monitor's polls included)\n",
);
console.log('| | Redis CPU | Redis commands | benchmark process CPU |');
console.log('|---|---|---|---|');
for (const row of cpuRows) console.log(`| ${row.join(' | ')} |`);
