/**
 * One measurement of one build of Spool, in a process of its own: `node build-probe.js --tree <dir>
 * --storage memory|sqlite|postgres|mysql|redis --scenario burn|bulk|latency --jobs N`. The Spool packages
 * are loaded from `<dir>` (a checkout with its packages built), so two builds can be measured by
 * the same code, taking turns (run-builds.ts). Prints one JSON line: the rate (jobs/s) or the
 * latency (ms), and the CPU this process spent per job (µs) while it was measured.
 *
 * The burn-down clock stops when the storage reports every job succeeded (polled as a monitor
 * would, poll-until-finished.ts), on tables with statistics (ANALYZE after the pre-fill).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import Database from 'better-sqlite3';
import pg from 'pg';

import { pollUntilFinished } from '../poll-until-finished.js';
import { BENCH_MYSQL_URL, analyzeTables, dropTables, freshPrefix } from '../mysql/mysql-tables.js';
import { BENCH_POSTGRES_URL as POSTGRES_URL } from '../postgres/database.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from '../redis/redis-bench-env.js';
import { quantile } from '../stats.js';

const { values } = parseArgs({
  options: {
    tree: { type: 'string' },
    storage: { type: 'string', default: 'sqlite' },
    scenario: { type: 'string', default: 'burn' },
    jobs: { type: 'string', default: '20000' },
  },
});
if (values.tree === undefined) throw new Error('build-probe: --tree <checkout with built packages> is required');
const tree = values.tree;
const count = Number(values.jobs);

/* The parts of the API both builds share, typed as loosely as two versions allow. */
interface StorageLike {
  init(): Promise<void>;
  close(): Promise<void>;
  monitoring: { stats(): Promise<{ states: Record<string, number> }> };
}
interface SpoolLike {
  init(): Promise<void>;
  close(): Promise<void>;
  enqueue(job: unknown, args: unknown): Promise<unknown>;
  enqueueMany(job: unknown, args: unknown[]): Promise<unknown>;
  startServer(options: Record<string, unknown>): Promise<{ stop(): Promise<unknown> }>;
}
interface Core {
  Spool: new (options: { storage: StorageLike; jobs: unknown[] }) => SpoolLike;
  defineJob(name: string, handler: () => void): unknown;
  MemoryStorage: new () => StorageLike;
}

async function load<T>(pkg: string): Promise<T> {
  return (await import(pathToFileURL(join(tree, 'packages', pkg, 'dist', 'index.js')).href)) as T;
}

const core = await load<Core>('core');

/** A fresh, empty storage of the kind asked for, a way to open another handle on it, and its cleanup. */
interface Target {
  open(): Promise<StorageLike>;
  analyze(): Promise<void>;
  dispose(): Promise<void>;
}

async function target(kind: string): Promise<Target> {
  switch (kind) {
    case 'memory': {
      const storage = new core.MemoryStorage();
      return { open: async () => storage, analyze: async () => undefined, dispose: async () => undefined };
    }
    case 'sqlite': {
      const { SqliteStorage } = await load<{ SqliteStorage: new (o: { path: string }) => StorageLike }>('sqlite');
      const dir = mkdtempSync(join(tmpdir(), 'spool-builds-'));
      const path = join(dir, 'bench.db');
      return {
        open: async () => new SqliteStorage({ path }),
        analyze: async () => {
          const db = new Database(path);
          db.exec('ANALYZE');
          db.close();
        },
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres': {
      const { PostgresStorage } = await load<{ PostgresStorage: new (o: { connectionString: string; schema: string }) => StorageLike }>('postgres');
      const schema = `spool_builds_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      return {
        open: async () => new PostgresStorage({ connectionString: POSTGRES_URL, schema }),
        analyze: async () => void (await admin.query(`ANALYZE "${schema}".jobs`)),
        dispose: async () => {
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await admin.end();
        },
      };
    }
    case 'mysql': {
      const { MySqlStorage } = await load<{ MySqlStorage: new (o: { url: string; prefix: string }) => StorageLike }>('mysql');
      const prefix = freshPrefix();
      return { open: async () => new MySqlStorage({ url: BENCH_MYSQL_URL, prefix }), analyze: () => analyzeTables(prefix), dispose: () => dropTables(prefix) };
    }
    case 'redis': {
      const { RedisStorage } = await load<{ RedisStorage: new (o: { url: string; prefix: string }) => StorageLike }>('redis');
      const prefix = benchPrefix('builds');
      return {
        open: async () => new RedisStorage({ url: BENCH_REDIS_URL, prefix }),
        analyze: async () => undefined,
        // Spool's keys start with the prefix in braces (a hash tag).
        dispose: () => dropKeys(`{${prefix}}:`),
      };
    }
    default:
      throw new Error(`build-probe: unknown storage "${kind}" (memory, sqlite, postgres, mysql or redis)`);
  }
}

/** CPU of this process in µs since `from` (user + system). */
function cpuSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return used.user + used.system;
}

async function burn(t: Target): Promise<{ rate: number; cpuUsPerJob: number }> {
  const noop = core.defineJob('bench.noop', () => undefined);
  const writer = new core.Spool({ storage: await t.open(), jobs: [noop] });
  for (let i = 0; i < count; i += 5000) await writer.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
  if (values.storage !== 'memory') await writer.close();
  await t.analyze();
  const spool = new core.Spool({ storage: await t.open(), jobs: [noop] });
  await spool.init();
  const monitor = await t.open();
  if (values.storage !== 'memory') await monitor.init();
  const succeeded = async () => (await monitor.monitoring.stats()).states.succeeded ?? 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const server = await spool.startServer({ concurrency: 10, handleSignals: false });
  const finish = await pollUntilFinished(succeeded, count);
  const cpuUs = cpuSince(cpu);
  await server.stop();
  if (values.storage !== 'memory') await monitor.close();
  await spool.close();
  return { rate: count / ((finish.at - started) / 1000), cpuUsPerJob: cpuUs / count };
}

async function bulk(t: Target): Promise<{ rate: number; cpuUsPerJob: number }> {
  const noop = core.defineJob('bench.noop', () => undefined);
  const spool = new core.Spool({ storage: await t.open(), jobs: [noop] });
  await spool.init();
  const args = Array.from({ length: 1000 }, (_, i) => ({ i }));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < count; done += 1000) await spool.enqueueMany(noop, args);
  const seconds = (performance.now() - started) / 1000;
  const cpuUs = cpuSince(cpu);
  await spool.close();
  return { rate: count / seconds, cpuUsPerJob: cpuUs / count };
}

async function latency(t: Target): Promise<{ p50: number; p99: number; cpuUsPerJob: number }> {
  let started: (at: number) => void = () => undefined;
  const probe = core.defineJob('bench.latency', () => started(performance.now()));
  const spool = new core.Spool({ storage: await t.open(), jobs: [probe] });
  await spool.init();
  const server = await spool.startServer({ concurrency: 10, handleSignals: false });
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const startedAt = new Promise<number>((resolve) => (started = resolve));
    const before = performance.now();
    await spool.enqueue(probe, null);
    latencies.push((await startedAt) - before);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const cpuUs = cpuSince(cpu);
  await server.stop();
  await spool.close();
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), cpuUsPerJob: cpuUs / count };
}

const t = await target(values.storage);
try {
  const scenario = values.scenario;
  const result = scenario === 'burn' ? await burn(t) : scenario === 'bulk' ? await bulk(t) : scenario === 'latency' ? await latency(t) : null;
  if (result === null) throw new Error(`build-probe: unknown scenario "${scenario}" (burn, bulk or latency)`);
  console.log(JSON.stringify(result));
} finally {
  await t.dispose();
}
