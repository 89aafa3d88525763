/**
 * Spool on Redis side by side with BullMQ, on the same Redis in the same run (separate key prefixes).
 * `node bench/dist/run-redis.js [--runs N] [--only burn,burn-unknown,burn-future,bulk,latency]
 * [--jobs N] [--bulk N] [--samples N] [--backlog N]`; `SPOOL_BENCH_REDIS_URL` picks the Redis
 * (default local). The burn-downs run BullMQ twice: with its defaults and in its fastest documented
 * configuration; `burn-unknown` and `burn-future` first fill a backlog that stays (jobs in a queue no
 * worker serves, jobs due in a year in the served queue). A quick check with small counts: `--jobs 2000
 * --bulk 10000 --samples 100 --backlog 20000` (burn-down jobs, bulk-enqueued jobs, latency samples,
 * backlog jobs; defaults 20,000, 100,000, 500 and 200,000).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { Redis } from 'ioredis';

import { bullBurnDown, bullEnqueueManyRate, bullLatency } from './redis/bullmq-scenarios.js';
import { BENCH_REDIS_URL } from './redis/redis-bench-env.js';
import type { Backlog, BurnDown } from './redis/redis-burn-down.js';
import { spoolBurnDown, spoolEnqueueManyRate, spoolLatency } from './redis/spool-redis-scenarios.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    jobs: { type: 'string', default: '20000' },
    bulk: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '500' },
    backlog: { type: 'string', default: '200000' },
  },
});
const runs = Math.max(1, Number(values.runs));
const jobs = Math.max(1, Number(values.jobs));
const bulkJobs = Math.max(1000, Number(values.bulk));
const samples = Math.max(1, Number(values.samples));
const backlog = Math.max(1, Number(values.backlog));
const SCENARIOS = ['burn', 'burn-unknown', 'burn-future', 'bulk', 'latency'] as const;
type Scenario = (typeof SCENARIOS)[number];
const only = values.only?.split(',').map((s) => s.trim()) ?? null;
const unknownScenario = only?.find((s) => !(SCENARIOS as readonly string[]).includes(s));
if (unknownScenario !== undefined) {
  console.error(`--only: unknown scenario ${JSON.stringify(unknownScenario)} (known: ${SCENARIOS.join(', ')})`);
  process.exit(2);
}
const selected = (scenario: Scenario) => only === null || only.includes(scenario);
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

// The burn-downs: the plain one, and with a backlog that waits meanwhile and stays.
const BURNS: ReadonlyArray<{ key: Scenario; backlog: Backlog; what: string; short: string }> = [
  { key: 'burn', backlog: 'none', what: '', short: 'plain' },
  { key: 'burn-unknown', backlog: 'unknown', what: `, ${n(backlog)} jobs waiting in a queue no worker serves`, short: `${n(backlog)} waiting in an unserved queue` },
  { key: 'burn-future', backlog: 'future', what: `, ${n(backlog)} jobs due in a year in the same queue`, short: `${n(backlog)} due in a year in the same queue` },
];
const CONTENDERS = ['spool', 'defaults', 'fastest'] as const;
const contenderName = (who: (typeof CONTENDERS)[number]) => (who === 'spool' ? 'Spool' : `BullMQ ${who}`);
const burnShow = (b: BurnDown) =>
  `${rate(b.jobsPerSecond)} (per job: Redis CPU ${b.redisCpuUsPerJob.toFixed(1)} µs, Redis commands ${b.redisCommandsPerJob.toFixed(2)}, process CPU ${b.processCpuUsPerJob.toFixed(1)} µs)`;
const burnMedian = (list: BurnDown[], key: keyof BurnDown) => median(list.map((b) => b[key]));
const cpuRows: string[][] = [];

/**
 * One burn-down scenario: Spool, BullMQ with its defaults, BullMQ in its fastest documented
 * configuration, in turn, run after run; a row per BullMQ configuration, and the cost per job.
 */
async function burnScenario(burn: (typeof BURNS)[number]): Promise<void> {
  const results = { spool: [] as BurnDown[], defaults: [] as BurnDown[], fastest: [] as BurnDown[] };
  for (let i = 0; i < runs; i++) {
    for (const [who, run] of [
      ['spool', () => spoolBurnDown(jobs, 10, burn.backlog, backlog)],
      ['defaults', () => bullBurnDown(jobs, 10, 'defaults', burn.backlog, backlog)],
      ['fastest', () => bullBurnDown(jobs, 10, 'fastest', burn.backlog, backlog)],
    ] as const) {
      results[who].push(await run());
      process.stderr.write(`  ${burn.key}: burn-down ${n(jobs)} no-op jobs${burn.what}, concurrency 10, ${contenderName(who)}: run ${i + 1}/${runs}: ${burnShow(results[who].at(-1)!)}\n`);
    }
  }
  const spool = burnMedian(results.spool, 'jobsPerSecond');
  for (const config of ['defaults', 'fastest'] as const) {
    const bull = burnMedian(results[config], 'jobsPerSecond');
    const label = config === 'defaults' ? 'BullMQ defaults, completed jobs kept' : 'BullMQ fastest: `removeOnComplete: { count: 0 }`';
    rows.push([`burn-down of ${n(jobs)} no-op jobs${burn.what}, one process, concurrency 10, until storage reports all finished (${label})`, fmt(spool), fmt(bull), `${(spool / bull).toFixed(2)}x`]);
  }
  for (const who of CONTENDERS) {
    cpuRows.push([
      burn.short,
      contenderName(who),
      `${burnMedian(results[who], 'redisCpuUsPerJob').toFixed(1)} µs`,
      burnMedian(results[who], 'redisCommandsPerJob').toFixed(2),
      `${burnMedian(results[who], 'processCpuUsPerJob').toFixed(1)} µs`,
    ]);
  }
}

for (const scenario of SCENARIOS) {
  if (!selected(scenario)) continue;
  const burn = BURNS.find((b) => b.key === scenario);
  if (burn) {
    await burnScenario(burn);
  } else if (scenario === 'bulk') {
    const bulk = await pair(`bulk enqueue ${n(bulkJobs)} jobs in calls of 1,000`, () => spoolEnqueueManyRate(bulkJobs, 1000), () => bullEnqueueManyRate(bulkJobs, 1000), rate);
    const bulkSpool = median(bulk.spool);
    const bulkBull = median(bulk.bull);
    rows.push([`bulk enqueue, ${n(bulkJobs)} jobs in calls of 1,000 (\`enqueueMany\` / \`addBulk\`)`, fmt(bulkSpool), fmt(bulkBull), `${(bulkSpool / bulkBull).toFixed(2)}x`]);
  } else {
    const latency = await pair(`enqueue-to-start latency, ${n(samples)} jobs one at a time`, () => spoolLatency(samples), () => bullLatency(samples), lat);
    const ms = (list: Array<{ p50: number; p99: number }>) => `${median(list.map((l) => l.p50)).toFixed(2)} ms / ${median(list.map((l) => l.p99)).toFixed(2)} ms`;
    rows.push(['enqueue-to-start latency (enqueue call to handler start) at light load, p50 / p99', ms(latency.spool), ms(latency.bull), '']);
  }
}

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
if (cpuRows.length > 0) {
  console.log(
    "\nPer job in the burn-downs, from the workers' start until storage reported all burn-down jobs finished (medians; Redis: the whole server in that time, the monitor's polls included)\n",
  );
  console.log('| burn-down | contender | Redis CPU | Redis commands | benchmark process CPU |');
  console.log('|---|---|---|---|---|');
  for (const row of cpuRows) console.log(`| ${row.join(' | ')} |`);
}
