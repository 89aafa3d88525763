/**
 * Spool on PostgreSQL side by side with graphile-worker and pg-boss, on the same database in the same
 * run. `npm run build && node bench/dist/run-postgres.js [--runs N] [--timeout S] [--only burn,latency] [--match "label|label"]
 * [--jobs N] [--bulk N] [--samples N] [--backlog N]` prints a Markdown table. Every run is a child
 * process (the newest peers need Node 22+: they run on the `node` binary installed in bench/node24)
 * with a fresh schema, dropped afterwards. A quick check with small counts: `--jobs 2000 --bulk 10000
 * --samples 100 --backlog 20000` (defaults 20,000, 100,000, 1,000 and 200,000).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { runChild } from './run-child.js';
import { median } from './stats.js';
import type { JobCost } from './postgres/cost-meter.js';
import { dropSchema, execute, installedVersion } from './postgres/database.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '120' },
    only: { type: 'string' },
    match: { type: 'string' },
    jobs: { type: 'string', default: '20000' },
    bulk: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '1000' },
    backlog: { type: 'string', default: '200000' },
  },
});
const runs = Math.max(1, Number(values.runs));
const jobs = Math.max(1, Number(values.jobs));
const bulkJobs = Math.max(1000, Number(values.bulk));
const samples = Math.max(1, Number(values.samples));
const backlog = Math.max(1, Number(values.backlog));
const n = (value: number) => value.toLocaleString('en-US');
const timeoutMs = Number(values.timeout) * 1000;
const here = dirname(fileURLToPath(import.meta.url));
// Node 24 lives in its own folder (bench/node24), installed on demand by `npm run bench:postgres`:
// as a workspace dependency its `node` binary would shadow the system's for every npm script.
const node24Require = createRequire(join(here, '..', 'node24', 'package.json'));
let node24: string;
try {
  node24 = join(dirname(node24Require.resolve('node/package.json')), 'bin', 'node');
} catch {
  console.error('Node 24 for the newest peers is missing: run `npm install --prefix bench/node24` (or `npm run bench:postgres`).');
  process.exit(2);
}

interface Contender {
  label: string;
  version: string;
  node: string;
  args: (scenario: string, count: number) => string[];
  /** Jobs for the burn-downs (a peer too slow to drain 20,000 in the time limit gets fewer, 200 at most). */
  burnCount?: number;
  /** Latency samples (a peer that polls every few seconds gets fewer). */
  latencySamples?: number;
}

function peer(name: string, pkg: string, config: 'defaults' | 'fastest', node: string, burnCount?: number, latencySamples?: number): Contender {
  const version = installedVersion(pkg, here);
  return {
    label: `${name} ${version}, ${config === 'fastest' ? 'fastest' : 'defaults'}`,
    version,
    node,
    args: (scenario, count) => [join(here, 'postgres', 'peer-scenarios.js'), name, pkg, config, scenario, String(count), String(backlog)],
    ...(burnCount ? { burnCount } : {}),
    ...(latencySamples ? { latencySamples } : {}),
  };
}

const contenders: Contender[] = [
  { label: 'Spool (defaults = best)', version: '0.1.0', node: process.execPath, args: (scenario, count) => [join(here, 'postgres', 'spool-cli.js'), scenario, String(count), String(backlog)] },
  peer('graphile-worker', 'graphile-worker-latest', 'fastest', node24),
  peer('graphile-worker', 'graphile-worker-latest', 'defaults', node24),
  peer('graphile-worker', 'graphile-worker', 'fastest', process.execPath),
  peer('graphile-worker', 'graphile-worker', 'defaults', process.execPath),
  peer('pg-boss', 'pg-boss-latest', 'fastest', node24),
  // pg-boss 11+ by default fetches one job per worker every 2 s: 20,000 jobs would take an hour.
  peer('pg-boss', 'pg-boss-latest', 'defaults', node24, 200, 50),
  // pg-boss 10 polls every 0.5 s in its fastest configuration and every 2 s by default: fewer latency samples.
  peer('pg-boss', 'pg-boss', 'fastest', process.execPath, undefined, 200),
  peer('pg-boss', 'pg-boss', 'defaults', process.execPath, undefined, 50),
];

type Result = { value: number; cost?: JobCost } | { p50: number; p99: number } | { error: string };

/** The median cost per job of each contender's plain burn-downs, for the second table. */
const costs = new Map<string, JobCost[]>();

function runOne(c: Contender, scenario: string, count: number): Promise<Result> {
  return runChild<Result>(c.node, c.args(scenario, count), timeoutMs);
}

/** The benchmark schemas that exist now (every run makes one named `bench_...`). */
async function benchSchemas(): Promise<Set<string>> {
  const { rows } = await execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'");
  return new Set(rows.map((r: { nspname: string }) => r.nspname));
}

async function runAndRecord(c: Contender, scenario: string, count: number): Promise<Result> {
  await execute('CHECKPOINT');
  const before = await benchSchemas();
  const result = await runOne(c, scenario, count);
  // A run that was killed (timed out) or failed did not drop its schema: drop what it left.
  if ('error' in result) for (const schema of await benchSchemas()) if (!before.has(schema)) await dropSchema(schema);
  process.stderr.write(`  ${c.label} / ${scenario}: ${JSON.stringify(result)}\n`);
  if (scenario === 'burn' && 'cost' in result && result.cost) (costs.get(c.label) ?? costs.set(c.label, []).get(c.label)!).push(result.cost);
  return result;
}

/** The median of one contender's runs of one scenario, as a table cell. */
function summarize(results: readonly Result[]): string {
  const ok = results.filter((r): r is Exclude<Result, { error: string }> => !('error' in r));
  if (ok.length === 0) return (results[0] as { error: string }).error;
  if ('p50' in ok[0]!) {
    const l = ok as Array<{ p50: number; p99: number }>;
    return `${median(l.map((r) => r.p50)).toFixed(1)} / ${median(l.map((r) => r.p99)).toFixed(1)} ms`;
  }
  return `${Math.round(median((ok as Array<{ value: number }>).map((r) => r.value))).toLocaleString('en-US')}/s`;
}

const burnCount = (c: Contender) => Math.min(jobs, c.burnCount ?? jobs);
const latencyCount = (c: Contender) => Math.min(samples, c.latencySamples ?? samples);
const until = 'until storage reports all finished';
const scenarios: Array<{ key: string; title: string; count: (c: Contender) => number }> = [
  { key: 'burn', title: `burn-down ${n(jobs)} no-op, concurrency 10, ${until}`, count: burnCount },
  { key: 'bulk', title: `bulk enqueue ${n(bulkJobs)} (batches of 1,000)`, count: () => bulkJobs },
  // 1,000 samples: with 100, the p99 is the second-slowest sample and moves with any one hiccup.
  { key: 'latency', title: 'enqueue-to-start (enqueue call to handler start) p50 / p99, light load', count: latencyCount },
  { key: 'burn-unknown', title: `burn-down with ${n(backlog)} jobs of a name no server runs`, count: burnCount },
  { key: 'burn-future', title: `burn-down with ${n(backlog)} jobs due in a year`, count: burnCount },
];

// --match "Spool|graphile-worker 0.18.0, fastest": the contenders whose label contains any of the parts.
const patterns = values.match?.split('|') ?? null;
const chosen = patterns ? contenders.filter((c) => patterns.some((p) => c.label.includes(p))) : contenders;
const selected = values.only ? scenarios.filter((s) => values.only!.split(',').includes(s.key)) : scenarios;
const table = new Map<string, Map<string, string>>();
for (const scenario of selected) {
  process.stderr.write(`${scenario.title}\n`);
  // Contenders take turns, run after run, so that a change in the machine's load hits all of them.
  const results = new Map<Contender, Result[]>(chosen.map((c) => [c, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of chosen) results.get(c)!.push(await runAndRecord(c, scenario.key, scenario.count(c)));
  }
  for (const c of chosen) (table.get(c.label) ?? table.set(c.label, new Map()).get(c.label)!).set(scenario.key, summarize(results.get(c)!));
}
const pg = await execute('SHOW server_version');
console.log(
  `PostgreSQL ${pg.rows[0].server_version as string}, Node ${process.version} (newest peers on Node ${(await new Promise<string>((r) => execFile(node24, ['--version'], (_e, out) => r(out.trim()))))}), ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), median of ${runs} run(s)\n`,
);
console.log(`| contender | ${selected.map((s) => s.title).join(' | ')} |`);
console.log(`|---|${selected.map(() => '---').join('|')}|`);
for (const [label, cells] of table) console.log(`| ${label} | ${selected.map((s) => cells.get(s.key) ?? '').join(' | ')} |`);

if (costs.size > 0) {
  const cell = (list: JobCost[], pick: (c: JobCost) => number | null, digits: number) => {
    const values = list.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? 'n/a' : median(values).toFixed(digits);
  };
  console.log(
    '\nWhat one job of the plain burn-down cost (median), from the workers\' start until storage reported all jobs finished: WAL written, ' +
      'CPU of all PostgreSQL processes and transactions committed in the database (the monitor\'s own excluded), CPU of the contender\'s process.\n',
  );
  console.log('| contender | WAL bytes / job | PostgreSQL CPU µs / job | commits / job | client CPU µs / job |');
  console.log('|---|---|---|---|---|');
  for (const [label, list] of costs) {
    console.log(`| ${label} | ${cell(list, (c) => c.walBytes, 0)} | ${cell(list, (c) => c.databaseCpuUs, 1)} | ${cell(list, (c) => c.commits, 3)} | ${cell(list, (c) => c.clientCpuUs, 1)} |`);
  }
}
