/**
 * Spool's benchmarks. `npm run bench` runs them all and prints a Markdown table; pass
 * `--runs N` to take the median of N runs (default 3).
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { burnDownRate, enqueueManyRate, enqueueToStartLatency } from './sqlite-scenarios.js';
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

const rows: string[][] = [];
process.stderr.write('SQLite, one process\n');
const burn = await repeat('burn-down 20,000 no-op jobs, concurrency 10 (jobs/s)', () => burnDownRate(20_000, 10));
rows.push(['burn-down of 20,000 no-op jobs, concurrency 10', `${Math.round(burn).toLocaleString('en-US')} jobs/s`, '>= 10,000 jobs/s']);
const bulk = await repeat('enqueueMany 100,000 jobs in batches of 1,000 (jobs/s)', () => enqueueManyRate(100_000, 1000));
rows.push(['enqueueMany, 100,000 jobs in batches of 1,000', `${Math.round(bulk).toLocaleString('en-US')} jobs/s`, '>= 100,000 jobs/s']);
const latencies: Array<{ p50: number; p99: number }> = [];
for (let i = 0; i < runs; i++) latencies.push(await enqueueToStartLatency(500));
const p50 = median(latencies.map((l) => l.p50));
const p99 = median(latencies.map((l) => l.p99));
rows.push(['enqueue-to-start latency, light load (p50 / p99)', `${p50.toFixed(2)} ms / ${p99.toFixed(2)} ms`, 'p50 <= 2 ms']);

console.log(`Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), median of ${runs} runs\n`);
console.log('| workload | Spool on SQLite | target |');
console.log('|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
