/**
 * What flow control costs: a burn-down of N no-op jobs spread over K keys with a per-key
 * concurrency limit, against the same burn-down without limits, on each storage that has the
 * `flowControl` capability. The two take turns in one run (without, with, without, ...); each
 * clock stops when the storage reports every job succeeded (a second storage handle polls the
 * counters), after ANALYZE on the SQL storages. Prints a Markdown table of the median rates and of
 * the CPU this process spent per job (the database server's own is not in it).
 *
 * `node bench/dist/run-flow-control.js [--runs 3] [--jobs 20000] [--keys 100] [--per-key 2]
 *   [--concurrency 10] [--storages sqlite,postgres,redis,mysql]`
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { Spool, defineJob } from '@spool/core';
import type { Storage } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';
import { RedisStorage } from '@spool/redis';

import { BENCH_MYSQL_URL, analyzeTables, dropTables, freshPrefix } from './mysql/spool-mysql-scenarios.js';
import { BENCH_REDIS_URL } from './redis/redis-bench-env.js';
import { pollUntilFinished } from './poll-until-finished.js';
import { freshPostgresPlace, freshSqlitePlace } from './fresh-places.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '20000' },
    keys: { type: 'string', default: '100' },
    'per-key': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '10' },
    storages: { type: 'string', default: 'sqlite,postgres,redis,mysql' },
  },
});
const runs = Math.max(1, Number(values.runs));
const jobs = Math.max(100, Number(values.jobs));
const keys = Math.max(1, Number(values.keys));
const perKey = Math.max(1, Number(values['per-key']));
const concurrency = Math.max(1, Number(values.concurrency));

/** One storage under test: a fresh place for each run, a handle on it, and what to do before the clock starts. */
interface Target {
  name: string;
  fresh(): Promise<{ open: () => Storage; prepare: () => Promise<void>; dispose: () => Promise<void> }>;
}

const TARGETS: Record<string, Target> = {
  sqlite: { name: 'SQLite', fresh: async () => freshSqlitePlace('flow') },
  postgres: { name: 'PostgreSQL', fresh: async () => freshPostgresPlace('flow') },
  redis: {
    name: 'Redis',
    async fresh() {
      const prefix = `spool-flow-${Math.random().toString(16).slice(2, 10)}`;
      return { open: () => new RedisStorage({ url: BENCH_REDIS_URL, prefix }), prepare: async () => undefined, dispose: async () => undefined };
    },
  },
  mysql: {
    name: 'MySQL',
    async fresh() {
      const prefix = freshPrefix();
      return { open: () => new MySqlStorage({ url: BENCH_MYSQL_URL, prefix }), prepare: () => analyzeTables(prefix), dispose: () => dropTables(prefix) };
    },
  },
};

/** One burn-down's rate, and the CPU (user and system) this process spent per job meanwhile. */
interface Measured {
  rate: number;
  cpuUsPerJob: number;
}

/** One burn-down: with `limited`, the jobs carry keys and their name a per-key limit. */
async function burnDown(target: Target, limited: boolean): Promise<Measured> {
  const place = await target.fresh();
  const name = 'bench.flow';
  const job = defineJob(name, () => undefined, limited ? { limits: { key: (a: { k: number }) => `k${a.k}`, perKey: { concurrency: perKey } } } : {});
  const writer = new Spool({ storage: place.open(), jobs: [job] });
  try {
    for (let i = 0; i < jobs; i += 5000) await writer.enqueueMany(job, Array.from({ length: Math.min(5000, jobs - i) }, (_, j) => ({ k: (i + j) % keys })));
    await place.prepare();
    const spool = new Spool({ storage: place.open(), jobs: [job] });
    await spool.init();
    const monitor = place.open();
    await monitor.init();
    try {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const server = await spool.startServer({ concurrency, handleSignals: false });
      const finish = await pollUntilFinished(async () => (await monitor.monitoring.stats()).states.succeeded, jobs);
      const seconds = (finish.at - started) / 1000;
      const spent = process.cpuUsage(cpu);
      await server.stop();
      return { rate: jobs / seconds, cpuUsPerJob: (spent.user + spent.system) / jobs };
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
  const probe = await target.fresh();
  const capable = probe.open().capabilities.flowControl;
  await probe.dispose();
  if (!capable) {
    rows.push([target.name, 'no flowControl capability', '', '']);
    continue;
  }
  const plain: Measured[] = [];
  const gated: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    plain.push(await burnDown(target, false));
    gated.push(await burnDown(target, true));
    process.stderr.write(`${target.name} run ${i + 1}/${runs}: without ${n(plain.at(-1)!.rate)} jobs/s, with ${n(gated.at(-1)!.rate)} jobs/s\n`);
  }
  const [a, b] = [median(plain.map((m) => m.rate)), median(gated.map((m) => m.rate))];
  const [ca, cb] = [median(plain.map((m) => m.cpuUsPerJob)), median(gated.map((m) => m.cpuUsPerJob))];
  rows.push([target.name, `${n(a)} jobs/s`, `${n(b)} jobs/s`, `${(b / a).toFixed(2)} ×`, `${ca.toFixed(0)} / ${cb.toFixed(0)} µs`]);
}

console.log(`Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), median of ${runs} runs`);
console.log(`${n(jobs)} no-op jobs, one server at concurrency ${concurrency}; with limits: ${keys} keys, at most ${perKey} running per key\n`);
console.log('| storage | without limits | with a per-key limit | ratio (target >= 0.7) | CPU per job, without / with (this process) |');
console.log('|---|--:|--:|--:|--:|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
