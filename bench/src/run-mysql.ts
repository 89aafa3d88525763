/**
 * Spool on MySQL (or MariaDB) side by side with Spool on PostgreSQL, in the same run, taking turns.
 * `npm run bench:mysql [-- --runs N] [--jobs N] [--bulk N] [--samples N]` prints a Markdown table and
 * the MySQL/PostgreSQL ratio of each figure. Every run is a child process with fresh tables (a table
 * prefix on MySQL, a schema on PostgreSQL), dropped afterwards; both burn-downs analyse their tables
 * after the pre-fill and stop the clock when the storage's counters report every job succeeded.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';

import { BENCH_MYSQL_URL } from './mysql/spool-mysql-scenarios.js';
import { runChild } from './run-child.js';
import { execute } from './postgres/database.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '180' },
    jobs: { type: 'string', default: '20000' },
    bulk: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '1000' },
  },
});
const runs = Math.max(1, Number(values.runs));
const timeoutMs = Number(values.timeout) * 1000;
const here = dirname(fileURLToPath(import.meta.url));
const n = (value: number) => value.toLocaleString('en-US');

interface Contender {
  label: string;
  cli: string;
  /** Latency samples: MySQL wakes a server of another storage within its 250 ms watch interval, so fewer samples fit the time limit. */
  latencySamples?: number;
}
const contenders: Contender[] = [
  { label: 'Spool on PostgreSQL', cli: join(here, 'postgres', 'spool-cli.js') },
  { label: 'Spool on MySQL', cli: join(here, 'mysql', 'mysql-cli.js'), latencySamples: 200 },
];
const scenarios = [
  { key: 'burn', title: `burn-down ${n(Number(values.jobs))} no-op, concurrency 10, until storage reports all succeeded`, count: Number(values.jobs) },
  { key: 'bulk', title: `bulk enqueue ${n(Number(values.bulk))} (batches of 1,000)`, count: Number(values.bulk) },
  {
    key: 'latency',
    title: `enqueue-to-start p50 / p99, light load (${n(Number(values.samples))} samples; ${n(Math.min(Number(values.samples), 200))} on MySQL)`,
    count: Number(values.samples),
  },
];
const countFor = (c: Contender, scenario: (typeof scenarios)[number]) =>
  scenario.key === 'latency' ? Math.min(scenario.count, c.latencySamples ?? scenario.count) : scenario.count;

type Result = { value: number } | { p50: number; p99: number } | { error: string };

function runOne(c: Contender, scenario: string, count: number): Promise<Result> {
  return runChild<Result>(process.execPath, [c.cli, scenario, String(count)], timeoutMs);
}

/** The median of the successful runs: jobs/s, or p50 and p99 in ms; null when every run failed. */
function medianOf(results: readonly Result[]): { value: number } | { p50: number; p99: number } | null {
  const ok = results.filter((r): r is Exclude<Result, { error: string }> => !('error' in r));
  if (ok.length === 0) return null;
  if ('p50' in ok[0]!) {
    const l = ok as Array<{ p50: number; p99: number }>;
    return { p50: median(l.map((r) => r.p50)), p99: median(l.map((r) => r.p99)) };
  }
  return { value: median((ok as Array<{ value: number }>).map((r) => r.value)) };
}

function cell(result: ReturnType<typeof medianOf>, results: readonly Result[]): string {
  if (result === null) return (results[0] as { error: string }).error;
  return 'p50' in result ? `${result.p50.toFixed(1)} / ${result.p99.toFixed(1)} ms` : `${n(Math.round(result.value))}/s`;
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');
const loadBefore = load();
const medians = new Map<string, Map<string, ReturnType<typeof medianOf>>>();
const cells = new Map<string, Map<string, string>>();
for (const scenario of scenarios) {
  process.stderr.write(`${scenario.title}\n`);
  // Turns, run after run, so that a change in the machine's load hits both.
  const results = new Map<Contender, Result[]>(contenders.map((c) => [c, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of contenders) {
      const result = await runOne(c, scenario.key, countFor(c, scenario));
      process.stderr.write(`  ${c.label} / ${scenario.key}: ${JSON.stringify(result)}\n`);
      results.get(c)!.push(result);
    }
  }
  for (const c of contenders) {
    const m = medianOf(results.get(c)!);
    (medians.get(c.label) ?? medians.set(c.label, new Map()).get(c.label)!).set(scenario.key, m);
    (cells.get(c.label) ?? cells.set(c.label, new Map()).get(c.label)!).set(scenario.key, cell(m, results.get(c)!));
  }
}

const pgVersion = (await execute('SHOW server_version')).rows[0].server_version as string;
const connection = await mysql.createConnection({ uri: BENCH_MYSQL_URL });
const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
await connection.end();
console.log(
  `PostgreSQL ${pgVersion}, MySQL/MariaDB ${String(rows[0]!.version)}, Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ` +
    `median of ${runs} run(s), load average ${loadBefore} before and ${load()} after\n`,
);
console.log(`| contender | ${scenarios.map((s) => s.title).join(' | ')} |`);
console.log(`|---|${scenarios.map(() => '---').join('|')}|`);
for (const [label, row] of cells) console.log(`| ${label} | ${scenarios.map((s) => row.get(s.key) ?? '').join(' | ')} |`);
const ratio = (key: string) => {
  const pg = medians.get('Spool on PostgreSQL')?.get(key);
  const my = medians.get('Spool on MySQL')?.get(key);
  if (!pg || !my) return 'n/a';
  if ('value' in pg && 'value' in my) return `${(my.value / pg.value).toFixed(2)}x`;
  if ('p50' in pg && 'p50' in my) return `${(my.p50 / pg.p50).toFixed(2)}x (p50)`;
  return 'n/a';
};
console.log(`\nMySQL / PostgreSQL: burn-down ${ratio('burn')}, bulk enqueue ${ratio('bulk')}, latency ${ratio('latency')}`);
process.exit(0);
