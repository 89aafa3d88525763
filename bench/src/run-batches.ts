/**
 * What batches cost. Creation: `enqueueMany` of N jobs against `spool.batch` of the same N jobs
 * (one `b.enqueueMany`), taking turns in one run, each on a fresh database, the clock stopped when
 * the call returns (it has committed). Running: a burn-down of N plain jobs against a burn-down of
 * N members of one batch with a continuation, the clock stopped when the storage reports all of
 * them succeeded (a second handle polls the counters), after ANALYZE. Prints a Markdown table of
 * medians.
 *
 * `node bench/dist/run-batches.js [--runs 3] [--jobs 10000] [--concurrency 10] [--storages sqlite,postgres,mysql,redis]`
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { Spool, defineJob } from '@spool/core';

import type { FreshPlace } from './fresh-places.js';
import { freshMySqlPlace, freshPostgresPlace, freshRedisPlace, freshSqlitePlace } from './fresh-places.js';
import { pollUntilFinished } from './poll-until-finished.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '10' },
    storages: { type: 'string', default: 'sqlite,postgres' },
  },
});
const runs = Math.max(1, Number(values.runs));
const jobs = Math.max(100, Number(values.jobs));
const concurrency = Math.max(1, Number(values.concurrency));

type Place = FreshPlace;

const TARGETS: Record<string, { name: string; fresh(): Place }> = {
  sqlite: { name: 'SQLite', fresh: () => freshSqlitePlace('batches') },
  postgres: { name: 'PostgreSQL', fresh: () => freshPostgresPlace('batches') },
  mysql: { name: 'MySQL', fresh: () => freshMySqlPlace() },
  redis: { name: 'Redis', fresh: () => freshRedisPlace('batches') },
};

const work = defineJob('bench.page', () => undefined);
const then = defineJob('bench.then', () => undefined);
const argsList = () => Array.from({ length: jobs }, (_, i) => ({ page: i }));

/** Milliseconds of one creation of `jobs` jobs, plain or as one batch, on a fresh database. */
async function create(target: { fresh(): Place }, batch: boolean): Promise<number> {
  const place = target.fresh();
  const spool = new Spool({ storage: place.open(), jobs: [work, then] });
  try {
    await spool.init();
    const list = argsList();
    const started = performance.now();
    if (batch) await spool.batch((b) => void b.enqueueMany(work, list));
    else await spool.enqueueMany(work, list);
    return performance.now() - started;
  } finally {
    await spool.close();
    await place.dispose();
  }
}

/** Jobs per second of a burn-down of `jobs` jobs, plain or members of one batch with a continuation. */
async function burnDown(target: { fresh(): Place }, batch: boolean): Promise<number> {
  const place = target.fresh();
  const writer = new Spool({ storage: place.open(), jobs: [work, then] });
  try {
    if (batch) {
      await writer.batch((b) => {
        b.enqueueMany(work, argsList());
        b.then(then, null);
      });
    } else await writer.enqueueMany(work, argsList());
    await place.prepare();
    const spool = new Spool({ storage: place.open(), jobs: [work, then] });
    await spool.init();
    const monitor = place.open();
    await monitor.init();
    try {
      const target = batch ? jobs + 1 : jobs;
      const started = performance.now();
      const server = await spool.startServer({ concurrency, handleSignals: false });
      const finish = await pollUntilFinished(async () => (await monitor.monitoring.stats()).states.succeeded, target);
      await server.stop();
      return target / ((finish.at - started) / 1000);
    } finally {
      await monitor.close();
      await spool.close();
    }
  } finally {
    await writer.close();
    await place.dispose();
  }
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const rows: string[][] = [];
for (const key of (values.storages ?? '').split(',').filter(Boolean)) {
  const target = TARGETS[key];
  if (!target) throw new Error(`unknown storage ${key}; known: ${Object.keys(TARGETS).join(', ')}`);
  const plain: number[] = [];
  const batched: number[] = [];
  const plainRate: number[] = [];
  const batchRate: number[] = [];
  for (let i = 0; i < runs; i++) {
    plain.push(await create(target, false));
    batched.push(await create(target, true));
    plainRate.push(await burnDown(target, false));
    batchRate.push(await burnDown(target, true));
    process.stderr.write(`${target.name} run ${i + 1}/${runs}: enqueueMany ${n(plain.at(-1)!)} ms, batch ${n(batched.at(-1)!)} ms; burn-down ${n(plainRate.at(-1)!)} / ${n(batchRate.at(-1)!)} jobs/s\n`);
  }
  const [a, b] = [median(plain), median(batched)];
  const [ra, rb] = [median(plainRate), median(batchRate)];
  rows.push([target.name, `${n(a)} ms`, `${n(b)} ms`, `${(b / a).toFixed(2)} ×`, `${n(ra)} jobs/s`, `${n(rb)} jobs/s`, `${(rb / ra).toFixed(2)} ×`]);
}

console.log(`Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), median of ${runs} runs`);
console.log(`${n(jobs)} no-op jobs; burn-down: one server at concurrency ${concurrency}\n`);
console.log('| storage | enqueueMany | spool.batch | ratio (target <= 1.5) | burn-down, plain jobs | burn-down, batch members | ratio |');
console.log('|---|--:|--:|--:|--:|--:|--:|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
