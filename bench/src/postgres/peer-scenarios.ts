/**
 * The peers' side of the PostgreSQL benchmarks, run in a child process (the newest peers need Node
 * 22+). Usage: node peer-scenarios.js <peer> <package> <config> <scenario> [count] [backlog]
 *   peer: graphile-worker | pg-boss; package: the installed name (an alias for the newest versions);
 *   config: defaults | fastest; scenario: burn | burn-unknown | burn-future | bulk | latency;
 *   count: jobs (burn-downs, bulk) or samples (latency); backlog: jobs of the backlog (default 200,000).
 * Prints one JSON line: { value, cost } (burn-downs: jobs/s and cost per job), { value } (jobs/s) or { p50, p99 } (ms).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { quantile } from '../stats.js';
import type { BurnDownResult, MonitorQuery } from './burn-down.js';
import { measureBurnDown } from './burn-down.js';
import { BENCH_POSTGRES_URL, dropSchema, execute, freshSchema, installedVersion } from './database.js';

const [peer, pkg, config, scenario, countArg, backlogArg] = process.argv.slice(2) as [string, string, 'defaults' | 'fastest', string, string | undefined, string | undefined];
const COUNT = Number(countArg ?? 20_000);
const BACKLOG = Number(backlogArg ?? 200_000);
const fastest = config === 'fastest';

/** What a peer must do for the scenarios. */
interface Peer {
  /** Enqueues `count` jobs of `name`, in calls of 1,000; the last call's jobs are the ones a burn-down watches. */
  enqueue(name: string, count: number, options?: { future?: boolean }): Promise<void>;
  /** Closes the connections that enqueued, so their work is counted before a burn-down's clock starts. */
  closeWriter(): Promise<void>;
  /** Starts the workers. */
  work(concurrency: number, onJob: () => void): Promise<void>;
  /**
   * How many of the jobs of the last `enqueue` call storage reports finished, read the way a monitor
   * of this queue would (cheap statements on the monitor's connection).
   */
  finished(query: MonitorQuery): Promise<number>;
  /** Stops the workers and closes every connection. */
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
  let utils: Loose | null = null;
  const writer = async (): Promise<Loose> => {
    if (utils) return utils;
    utils = await gw.makeWorkerUtils({ ...base, preset: { worker: { schema } } });
    await utils.migrate!();
    return utils;
  };
  await writer();
  let runner: Loose | null = null;
  // The ids of the last enqueue call's jobs: graphile-worker deletes a job when it succeeds.
  let ids = { low: '0', high: '0' };
  return {
    async enqueue(name, count, options = {}) {
      const w = await writer();
      const runAt = options.future ? new Date(Date.now() + 365 * 86_400_000) : undefined;
      const added: bigint[] = [];
      for (let i = 0; i < count; i += 1000) {
        const specs = Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({ identifier: name, payload: { i: i + k }, ...(runAt ? { runAt } : {}) }));
        for (const job of (await w.addJobs!(specs)) as Array<{ id: string }>) added.push(BigInt(job.id));
      }
      added.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (added.length > 0 && added.at(-1)! - added[0]! + 1n !== BigInt(added.length)) throw new Error('graphile-worker: the jobs of one enqueue call do not have consecutive ids');
      ids = { low: String(added[0] ?? 0n), high: String(added.at(-1) ?? 0n) };
    },
    async closeWriter() {
      await utils?.release!();
      utils = null;
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
    async finished(query) {
      // A job that succeeded is deleted; one that failed stays (to be retried or looked at). The
      // primary key finds the first one left, skipping the index entries of deleted rows.
      const [row] = await query(`SELECT EXISTS (SELECT 1 FROM "${schema}"._private_jobs WHERE id BETWEEN $1 AND $2) AS left`, [ids.low, ids.high]);
      return row!.left ? 0 : Number(BigInt(ids.high) - BigInt(ids.low) + 1n);
    },
    async stop() {
      await runner?.stop!();
      runner = null;
      await utils?.release!();
      utils = null;
    },
  };
}

async function pgBoss(schema: string): Promise<Peer> {
  const mod = (await import(pkg)) as { default?: unknown; PgBoss?: unknown };
  const PgBoss = (mod.PgBoss ?? mod.default) as new (o: unknown) => Loose;
  const modern = Number(installedVersion(pkg, dirname(fileURLToPath(import.meta.url))).split('.')[0]) >= 11;
  const start = async (): Promise<{ boss: Loose; queue: (name: string) => Promise<void> }> => {
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
    return {
      boss,
      async queue(name) {
        if (queues.has(name)) return;
        queues.add(name);
        await boss.createQueue!(name, fastest && modern ? { notify: true } : undefined);
      },
    };
  };
  // One instance enqueues (closed before a burn-down's clock starts), another works.
  let writer: Awaited<ReturnType<typeof start>> | null = await start();
  let worker: Awaited<ReturnType<typeof start>> | null = null;
  let watched = 'noop';
  return {
    async enqueue(name, count, options = {}) {
      writer ??= await start();
      await writer.queue(name);
      const startAfter = options.future ? new Date(Date.now() + 365 * 86_400_000) : undefined;
      for (let i = 0; i < count; i += 1000) {
        const jobs = Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({ name, data: { i: i + k }, ...(startAfter ? { startAfter } : {}) }));
        if (modern) await writer.boss.insert!(name, jobs);
        else await writer.boss.insert!(jobs);
      }
      watched = name;
    },
    async closeWriter() {
      await writer?.boss.stop!({ graceful: false, wait: true, close: true });
      writer = null;
    },
    async work(concurrency, onJob) {
      worker = await start();
      await worker.queue('noop');
      const handler = async (jobs: unknown[]): Promise<void> => {
        for (const _job of jobs) onJob();
      };
      // Fastest: the documented knobs for throughput (batches, the shortest poll, and on v11+ burst
      // fetching and LISTEN/NOTIFY).
      const options = fastest ? { batchSize: 50, pollingIntervalSeconds: 0.5, ...(modern ? { burstWhenBatchFull: true } : {}) } : {};
      if (modern) await worker.boss.work!('noop', { ...options, localConcurrency: concurrency }, handler);
      else for (let i = 0; i < concurrency; i++) await worker.boss.work!('noop', options, handler);
    },
    async finished(query) {
      // pg-boss keeps no counts, so a monitor counts rows. While jobs are still waiting (found through
      // pg-boss's own index of waiting jobs), none of the costly counts; then the completed ones.
      // Jobs due in a year (the far-future backlog) are not the burn-down's.
      const due = "start_after < now() + interval '1 day'";
      // The condition and order of pg-boss's index of waiting jobs (job_i5 in 10.x, job_i11 in 11+):
      // an index scan that stops at the first one (a bare EXISTS may build a bitmap of them all).
      const waitingIndex = modern ? "state < 'active' AND NOT blocked ORDER BY priority DESC, created_on" : "state < 'active' ORDER BY start_after";
      const waiting = await query(`SELECT 1 FROM "${schema}".job WHERE name = $1 AND ${due} AND ${waitingIndex} LIMIT 1`, [watched]);
      if (waiting.length > 0) return 0;
      const [done] = await query(`SELECT count(*) AS n FROM "${schema}".job WHERE name = $1 AND state = 'completed' AND ${due}`, [watched]);
      return Number(done!.n);
    },
    async stop() {
      for (const side of [worker, writer]) await side?.boss.stop!({ graceful: false, wait: true, close: true });
      worker = null;
      writer = null;
    },
  };
}

async function open(schema: string): Promise<Peer> {
  if (peer === 'graphile-worker') return graphileWorker(schema);
  if (peer === 'pg-boss') return pgBoss(schema);
  throw new Error(`unknown peer ${peer}`);
}

async function burn(backlog: 'none' | 'unknown' | 'future'): Promise<BurnDownResult> {
  const schema = freshSchema(`bench_${peer.replace('-', '_')}`);
  const p = await open(schema);
  try {
    if (backlog === 'unknown') await p.enqueue('other', BACKLOG);
    if (backlog === 'future') await p.enqueue('noop', BACKLOG, { future: true });
    await p.enqueue('noop', COUNT);
    await p.closeWriter();
    const result = await measureBurnDown(COUNT, {
      schema,
      finished: (query) => p.finished(query),
      start: () => p.work(10, () => undefined),
      stop: () => p.stop(),
    });
    await check(schema, backlog);
    return result;
  } finally {
    await p.stop();
    await dropSchema(schema);
  }
}

/** After a burn-down: every job it ran finished as its storage records success, and the backlog is untouched. */
async function check(schema: string, backlog: 'none' | 'unknown' | 'future'): Promise<void> {
  const left = backlog === 'none' ? 0 : BACKLOG;
  if (peer === 'graphile-worker') {
    const n = Number((await execute(`SELECT count(*) AS n FROM "${schema}"._private_jobs`)).rows[0].n);
    if (n !== left) throw new Error(`graphile-worker burn-down: expected ${left} jobs left, found ${n}`);
  } else {
    const n = Number((await execute(`SELECT count(*) AS n FROM "${schema}".job WHERE state = 'completed'`)).rows[0].n);
    if (n !== COUNT) throw new Error(`pg-boss burn-down: expected ${COUNT} completed, found ${n}`);
  }
}

async function bulk(): Promise<number> {
  const schema = freshSchema(`bench_${peer.replace('-', '_')}`);
  const p = await open(schema);
  try {
    await p.enqueue('warmup', 1000);
    const started = performance.now();
    await p.enqueue('noop', COUNT);
    return COUNT / ((performance.now() - started) / 1000);
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
