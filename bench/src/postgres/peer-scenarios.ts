/**
 * The peers' side of the PostgreSQL benchmarks, run in a child process (the newest peers need Node
 * 22+). Usage: node peer-scenarios.js <peer> <package> <config> <scenario> [count]
 *   peer: graphile-worker | pg-boss; package: the installed name (an alias for the newest versions);
 *   config: defaults | fastest; scenario: burn | burn-unknown | burn-future | bulk | latency.
 * Prints one JSON line: { value, cost } (burn-downs: jobs/s and cost per job), { value } (jobs/s) or { p50, p99 } (ms).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { quantile } from '../stats.js';
import type { JobCost } from './cost-meter.js';
import { startCostMeter } from './cost-meter.js';
import { BENCH_POSTGRES_URL, dropSchema, freshSchema, installedVersion } from './database.js';

const [peer, pkg, config, scenario, countArg] = process.argv.slice(2) as [string, string, 'defaults' | 'fastest', string, string | undefined];
const COUNT = Number(countArg ?? 20_000);
const BACKLOG = 200_000;
const fastest = config === 'fastest';

/** What a peer must do for the scenarios. */
interface Peer {
  enqueue(name: string, count: number, options?: { future?: boolean }): Promise<void>;
  work(concurrency: number, onJob: () => void): Promise<void>;
  stop(): Promise<void>;
}

type Loose = Record<string, (...args: unknown[]) => Promise<unknown>>;

async function graphileWorker(schema: string): Promise<Peer> {
  const gw = (await import(pkg)) as {
    run: (o: unknown) => Promise<Loose>;
    makeWorkerUtils: (o: unknown) => Promise<Loose>;
    Logger: new (factory: () => () => void) => unknown;
  };
  // Silent in both configurations: printing a line per job would measure the terminal, not the queue.
  const logger = new gw.Logger(() => () => undefined);
  const base = { connectionString: BENCH_POSTGRES_URL, schema, logger };
  const utils = await gw.makeWorkerUtils({ ...base, preset: { worker: { schema } } });
  await utils.migrate!();
  let runner: Loose | null = null;
  return {
    async enqueue(name, count, options = {}) {
      const runAt = options.future ? new Date(Date.now() + 365 * 86_400_000) : undefined;
      for (let i = 0; i < count; i += 1000) {
        const specs = Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({ identifier: name, payload: { i: i + k }, ...(runAt ? { runAt } : {}) }));
        await utils.addJobs!(specs);
      }
    },
    async work(concurrency, onJob) {
      // Fastest: the documented batching set-up (a local queue of locked jobs, completions batched).
      const worker = fastest ? { schema, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } : { schema };
      runner = await gw.run({
        ...base,
        concurrency,
        noHandleSignals: true,
        taskList: { noop: async () => onJob() },
        preset: { worker },
      });
    },
    async stop() {
      await runner?.stop!();
      await utils.release!();
    },
  };
}

async function pgBoss(schema: string): Promise<Peer> {
  const mod = (await import(pkg)) as { default?: unknown; PgBoss?: unknown };
  const PgBoss = (mod.PgBoss ?? mod.default) as new (o: unknown) => Loose;
  const modern = Number(installedVersion(pkg, dirname(fileURLToPath(import.meta.url))).split('.')[0]) >= 11;
  const boss = new PgBoss({
    connectionString: BENCH_POSTGRES_URL,
    schema,
    ...(fastest && modern ? { useListenNotify: true } : {}),
    supervise: false,
    schedule: false,
  });
  boss.on?.('error', async () => undefined);
  await boss.start!();
  const queues = new Set<string>();
  const queue = async (name: string): Promise<void> => {
    if (queues.has(name)) return;
    queues.add(name);
    await boss.createQueue!(name, fastest && modern ? { notify: true } : undefined);
  };
  return {
    async enqueue(name, count, options = {}) {
      await queue(name);
      const startAfter = options.future ? new Date(Date.now() + 365 * 86_400_000) : undefined;
      for (let i = 0; i < count; i += 1000) {
        const jobs = Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({ name, data: { i: i + k }, ...(startAfter ? { startAfter } : {}) }));
        if (modern) await boss.insert!(name, jobs);
        else await boss.insert!(jobs);
      }
    },
    async work(concurrency, onJob) {
      await queue('noop');
      const handler = async (jobs: unknown[]): Promise<void> => {
        for (const _job of jobs) onJob();
      };
      // Fastest: the documented knobs for throughput (batches, the shortest poll, and on v11+ burst
      // fetching and LISTEN/NOTIFY).
      const options = fastest ? { batchSize: 50, pollingIntervalSeconds: 0.5, ...(modern ? { burstWhenBatchFull: true } : {}) } : {};
      if (modern) await boss.work!('noop', { ...options, localConcurrency: concurrency }, handler);
      else for (let i = 0; i < concurrency; i++) await boss.work!('noop', options, handler);
    },
    async stop() {
      await boss.stop!({ graceful: false, wait: true, close: true });
    },
  };
}

async function open(schema: string): Promise<Peer> {
  if (peer === 'graphile-worker') return graphileWorker(schema);
  if (peer === 'pg-boss') return pgBoss(schema);
  throw new Error(`unknown peer ${peer}`);
}

async function burn(backlog: 'none' | 'unknown' | 'future'): Promise<{ value: number; cost: JobCost }> {
  const schema = freshSchema(`bench_${peer.replace('-', '_')}`);
  const p = await open(schema);
  try {
    if (backlog === 'unknown') await p.enqueue('other', BACKLOG);
    if (backlog === 'future') await p.enqueue('noop', BACKLOG, { future: true });
    await p.enqueue('noop', COUNT);
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const meter = await startCostMeter();
    const started = performance.now();
    await p.work(10, () => {
      if (++done === COUNT) finish();
    });
    await finished;
    const seconds = (performance.now() - started) / 1000;
    return { value: COUNT / seconds, cost: await meter.stop(COUNT) };
  } finally {
    await p.stop();
    await dropSchema(schema);
  }
}

async function bulk(): Promise<number> {
  const schema = freshSchema(`bench_${peer.replace('-', '_')}`);
  const p = await open(schema);
  try {
    await p.enqueue('warmup', 1000);
    const started = performance.now();
    await p.enqueue('noop', 100_000);
    return 100_000 / ((performance.now() - started) / 1000);
  } finally {
    await p.stop();
    await dropSchema(schema);
  }
}

async function latency(samples: number): Promise<{ p50: number; p99: number }> {
  const schema = freshSchema(`bench_${peer.replace('-', '_')}`);
  const client = await open(schema);
  const worker = await open(schema);
  let started: () => void = () => undefined;
  try {
    await worker.work(10, () => started());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const at = new Promise<number>((resolve) => (started = () => resolve(performance.now())));
      const before = performance.now();
      await client.enqueue('noop', 1);
      latencies.push((await at) - before);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
  } finally {
    await worker.stop();
    await client.stop();
    await dropSchema(schema);
  }
}

switch (scenario) {
  case 'burn':
    console.log(JSON.stringify(await burn('none')));
    break;
  case 'burn-unknown':
    console.log(JSON.stringify(await burn('unknown')));
    break;
  case 'burn-future':
    console.log(JSON.stringify(await burn('future')));
    break;
  case 'bulk':
    console.log(JSON.stringify({ value: await bulk() }));
    break;
  case 'latency':
    console.log(JSON.stringify(await latency(COUNT)));
    break;
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
process.exit(0);
