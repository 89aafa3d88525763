/**
 * Two builds of Spool side by side, taking turns in one run: `node bench/dist/builds/run-builds.js
 * --before <checkout> [--after <checkout>] [--runs 3] [--storages memory,sqlite,postgres,mysql,redis]
 * [--scenarios burn,bulk,latency] [--jobs 20000] [--bulk 100000] [--samples 300]`. Each
 * measurement runs in a fresh process (build-probe.js) with the packages of one checkout; for each
 * run, storage and scenario, the builds alternate and swap who goes first. Prints a Markdown table of
 * medians: burn-down and bulk-enqueue rates (jobs/s), latency p50/p99 (ms), and the CPU the
 * measuring process spent per job (µs).
 */
import { execFile } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

import { median } from '../stats.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: fileURLToPath(new URL('../../../', import.meta.url)) },
    runs: { type: 'string', default: '3' },
    storages: { type: 'string', default: 'memory,sqlite,postgres,redis' },
    scenarios: { type: 'string', default: 'burn,bulk,latency' },
    jobs: { type: 'string', default: '20000' },
    bulk: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '300' },
  },
});
if (values.before === undefined) throw new Error('run-builds: --before <checkout with built packages> is required');
const builds = [
  { label: 'before', tree: values.before },
  { label: 'after', tree: values.after },
];
const runs = Math.max(1, Number(values.runs));
const sizes: Record<string, string> = { burn: values.jobs, bulk: values.bulk, latency: values.samples };
const probe = fileURLToPath(new URL('./build-probe.js', import.meta.url));

interface Sample {
  rate?: number;
  p50?: number;
  p99?: number;
  cpuUsPerJob: number;
}

async function measure(tree: string, storage: string, scenario: string): Promise<Sample> {
  const { stdout } = await run(process.execPath, [probe, '--tree', tree, '--storage', storage, '--scenario', scenario, '--jobs', sizes[scenario]!], {
    maxBuffer: 1 << 20,
    timeout: 600_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const rows: string[] = [];
const load = loadavg()[0]!.toFixed(2);
for (const storage of values.storages.split(',')) {
  for (const scenario of values.scenarios.split(',')) {
    const samples = new Map<string, Sample[]>(builds.map((b) => [b.label, []]));
    for (let i = 0; i < runs; i++) {
      // Alternate who goes first, so a warming or cooling machine favours neither build.
      const order = i % 2 === 0 ? builds : [...builds].reverse();
      for (const build of order) {
        const sample = await measure(build.tree, storage, scenario);
        samples.get(build.label)!.push(sample);
        process.stderr.write(`${storage} ${scenario} ${build.label} run ${i + 1}/${runs}: ${JSON.stringify(sample)}\n`);
      }
    }
    const cells = builds.map((build) => {
      const list = samples.get(build.label)!;
      const cpu = median(list.map((s) => s.cpuUsPerJob)).toFixed(1);
      if (scenario === 'latency') return `${median(list.map((s) => s.p50!)).toFixed(2)} / ${median(list.map((s) => s.p99!)).toFixed(2)} ms, ${cpu} µs CPU`;
      return `${n(median(list.map((s) => s.rate!)))} jobs/s, ${cpu} µs CPU/job`;
    });
    const what = scenario === 'burn' ? `burn-down of ${n(Number(values.jobs))} no-op jobs, concurrency 10` : scenario === 'bulk' ? `enqueueMany of ${n(Number(values.bulk))} jobs in batches of 1,000` : `enqueue-to-start latency, ${n(Number(values.samples))} jobs one at a time (p50 / p99)`;
    rows.push(`| ${storage} | ${what} | ${cells.join(' | ')} |`);
  }
}
console.log(`Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${load} at the start, median of ${runs} runs, builds taking turns\n`);
console.log('| storage | workload | before | after |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);
