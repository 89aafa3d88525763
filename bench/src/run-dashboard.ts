/**
 * The dashboard's speed with many jobs in storage: every page's server time.
 * `node bench/dist/run-dashboard.js --storage sqlite --jobs 1000000 --rounds 20`
 * (`--storage postgres` uses `--url`, default the local test database, in its own schema). The data is
 * kept (SQLite: a file in the temporary folder, `--dir` picks another; PostgreSQL: the schema
 * `spool_bench_dashboard_<jobs>`) and reused by later runs.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { Storage } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';
import { SqliteStorage } from '@spool/sqlite';

import { dataset } from './dashboard/dashboard-dataset.js';
import { measurePages } from './dashboard/dashboard-pages.js';
import { execute } from './postgres/database.js';

const { values } = parseArgs({
  options: {
    storage: { type: 'string', default: 'sqlite' },
    jobs: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '20' },
    dir: { type: 'string', default: join(tmpdir(), 'spool-bench-dashboard') },
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const total = Number(values.jobs);
const rounds = Math.max(1, Number(values.rounds));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

let storage: Storage;
if (values.storage === 'postgres') {
  storage = new PostgresStorage({ connectionString: values.url, schema: `spool_bench_dashboard_${total}` });
} else {
  mkdirSync(values.dir, { recursive: true });
  storage = new SqliteStorage({ path: join(values.dir, `dashboard-${total}.db`) });
}
log(`${storage.kind} with ${total.toLocaleString('en-US')} jobs`);
const { spool, facts } = await dataset(storage, total, log);
if (values.storage === 'postgres') {
  // Building the data set moves a million jobs through every state in minutes; in steady state
  // autovacuum keeps the partial indexes of those states small (docs/postgres.md), so measure after one.
  log('VACUUM ANALYZE, as autovacuum would have by now');
  await execute(`VACUUM ANALYZE spool_bench_dashboard_${total}.jobs`);
  await execute(`VACUUM ANALYZE spool_bench_dashboard_${total}.history`);
}
const stats = await spool.stats();
const timings = await measurePages(spool, facts, rounds, log);
await spool.close();

console.log(`${storage.kind}, Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${rounds} requests per page after 2 warm-ups`);
console.log(`Jobs per state: ${Object.entries(stats.states).map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`).join(', ')}\n`);
console.log('| page | p50 | p95 | max |');
console.log('|---|---|---|---|');
for (const t of timings) console.log(`| ${t.page} | ${t.p50.toFixed(1)} ms | ${t.p95.toFixed(1)} ms | ${t.max.toFixed(1)} ms |`);
