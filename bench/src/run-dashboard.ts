/**
 * The dashboard's speed with many jobs in storage: every page's server time on SQLite.
 * `node bench/dist/run-dashboard.js --jobs 1000000 --rounds 20` (the database is kept in the
 * temporary folder and reused by later runs; `--dir` picks another place).
 */
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { sqliteDataset } from './dashboard/dashboard-dataset.js';
import { measurePages } from './dashboard/dashboard-pages.js';

const { values } = parseArgs({
  options: { jobs: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '20' }, dir: { type: 'string', default: join(tmpdir(), 'spool-bench-dashboard') } },
});
const total = Number(values.jobs);
const rounds = Math.max(1, Number(values.rounds));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

log(`SQLite with ${total.toLocaleString('en-US')} jobs`);
const { spool, facts } = await sqliteDataset(values.dir, total, log);
const stats = await spool.stats();
const timings = await measurePages(spool, facts, rounds, log);
await spool.close();

console.log(`Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${rounds} requests per page after 2 warm-ups`);
console.log(`Jobs per state: ${Object.entries(stats.states).map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`).join(', ')}\n`);
console.log('| page | p50 | p95 | max |');
console.log('|---|---|---|---|');
for (const t of timings) console.log(`| ${t.page} | ${t.p50.toFixed(1)} ms | ${t.p95.toFixed(1)} ms | ${t.max.toFixed(1)} ms |`);
