/**
 * Spool's benchmarks. `npm run bench` runs them all and prints a Markdown table; pass
 * `--runs N` to take the median of N runs (default 3). A quick check with small counts:
 * `--jobs 2000 --bulk 10000 --samples 100` (burn-down jobs, bulk-enqueued jobs, latency samples;
 * defaults 20,000, 100,000 and 500).
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { burnDownRate, enqueueManyRate, enqueueToStartLatency } from './sqlite-scenarios.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, jobs: { type: 'string', default: '20000' }, bulk: { type: 'string', default: '100000' }, samples: { type: 'string', default: '500' } },
});
const runs = Math.max(1, Number(values.runs));
const jobs = Math.max(1, Number(values.jobs));
const bulkJobs = Math.max(1000, Number(values.bulk));
const samples = Math.max(1, Number(values.samples));
const n = (value: number) => value.toLocaleString('en-US');

async function repeat(what: string, run: () => Promise<number>): Promise<number> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await run());
    process.stderr.write(`  ${what}: run ${i + 1}/${runs}: ${results.at(-1)!.toFixed(1)}\n`);
  }
  return median(results);
}

const rows: string[][] = [];
process.stderr.write('SQLite, one process\n');
const burn = await repeat(`burn-down ${n(jobs)} no-op jobs, concurrency 10, until storage reports all succeeded (jobs/s)`, () => burnDownRate(jobs, 10));
rows.push([`burn-down of ${n(jobs)} no-op jobs, concurrency 10, until storage reports all succeeded`, `${n(Math.round(burn))} jobs/s`, '>= 10,000 jobs/s']);
const bulk = await repeat(`enqueueMany ${n(bulkJobs)} jobs in batches of 1,000 (jobs/s)`, () => enqueueManyRate(bulkJobs, 1000));
rows.push([`enqueueMany, ${n(bulkJobs)} jobs in batches of 1,000`, `${n(Math.round(bulk))} jobs/s`, '>= 100,000 jobs/s']);
const latencies: Array<{ p50: number; p99: number }> = [];
for (let i = 0; i < runs; i++) latencies.push(await enqueueToStartLatency(samples));
const p50 = median(latencies.map((l) => l.p50));
const p99 = median(latencies.map((l) => l.p99));
rows.push([`enqueue-to-start latency (enqueue call to handler start), light load, ${n(samples)} jobs (p50 / p99)`, `${p50.toFixed(2)} ms / ${p99.toFixed(2)} ms`, 'p50 <= 2 ms']);

console.log(`Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), median of ${runs} runs\n`);
console.log('| workload | Spool on SQLite | target |');
console.log('|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
