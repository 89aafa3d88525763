import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Storage } from '@spool/core';
import { Spool } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';
import { RedisStorage } from '@spool/redis';
import { SqliteStorage } from '@spool/sqlite';
import { COUNT_JOB_OPTIONS, exited, killWorkers, startWorker, until } from './worker-processes.js';
import { POSTGRES_URL, REDIS_URL, dropPostgresSchema, dropRedisPrefix, servicesAvailable } from './services.js';

// A `kill -9` of one of two workers in the middle of a 20,000-job drain, on every durable storage.
// Nothing may be lost, and the jobs run twice are at most what the killed server could hold that had
// run and was not yet recorded: its concurrency, its claim-ahead buffer and one completion batch.
const JOBS = 20_000;
const CONCURRENCY = 10;
/** The server defaults: a claim-ahead buffer of up to 500 jobs, completion batches of 500. */
const RERUN_BOUND = CONCURRENCY + 500 + 500;

const available = await servicesAvailable();
const dirs: string[] = [];

afterEach(killWorkers);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  storage: Storage;
  env: Record<string, string>;
  cleanup: () => Promise<void>;
}

const storages: Record<'sqlite' | 'postgres' | 'redis', () => Setup> = {
  sqlite: () => {
    const path = join(dirs.at(-1)!, 'spool.db');
    return { storage: new SqliteStorage({ path }), env: { SPOOL_DB: path }, cleanup: async () => undefined };
  },
  postgres: () => {
    const schema = `spool_fault_${randomBytes(5).toString('hex')}`;
    return {
      storage: new PostgresStorage({ connectionString: POSTGRES_URL, schema }),
      env: { POSTGRES_URL, SPOOL_SCHEMA: schema },
      cleanup: () => dropPostgresSchema(schema),
    };
  },
  redis: () => {
    const prefix = `spool-fault-${randomBytes(5).toString('hex')}`;
    return { storage: new RedisStorage({ url: REDIS_URL, prefix }), env: { REDIS_URL, SPOOL_PREFIX: prefix }, cleanup: () => dropRedisPrefix(prefix) };
  },
};

/** Runs per job id, from the workers' record files. */
function runsPerJob(files: string[]): Map<string, number> {
  const runs = new Map<string, number>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const id of readFileSync(file, 'utf8').split('\n')) if (id) runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  return runs;
}

describe.skipIf(!available)('a worker killed with SIGKILL during a drain', () => {
  for (const kind of ['sqlite', 'postgres', 'redis'] as const) {
    it(`loses nothing on ${kind}, and re-runs at most concurrency + claim-ahead + one completion batch`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'spool-fault-'));
      dirs.push(dir);
      const { storage, env, cleanup } = storages[kind]();
      const spool = new Spool({ storage });
      try {
        const ids = new Set<string>();
        for (let i = 0; i < JOBS / 1000; i++) for (const id of await spool.enqueueMany('fault.count', Array.from({ length: 1000 }, () => null), COUNT_JOB_OPTIONS)) ids.add(id);
        const files = ['doomed', 'survivor'].map((name) => join(dir, `${name}.txt`));
        const common = { ...env, STORAGE: kind, CONCURRENCY: String(CONCURRENCY), LEASE_MS: '2000', RESCUE_MS: '200' };
        const [doomed, survivor] = await Promise.all(files.map((file) => startWorker({ ...common, RECORD_FILE: file })));
        await until(async () => (await spool.stats()).states.succeeded >= JOBS / 5, 'a fifth of the jobs to succeed', 60_000);
        doomed!.kill('SIGKILL');
        await exited(doomed!);
        await until(async () => (await spool.stats()).states.succeeded === JOBS, 'every job to succeed', 120_000);
        survivor!.kill('SIGTERM');
        await exited(survivor!);

        const runs = runsPerJob(files);
        const rerun = [...runs.values()].filter((n) => n > 1).length;
        const byDoomed = runsPerJob(files.slice(0, 1)).size;
        console.log(`${kind}: ${rerun} of ${JOBS} jobs ran twice after the kill (bound ${RERUN_BOUND}); the killed worker had run ${byDoomed}`);
        expect(new Set(runs.keys())).toEqual(ids);
        expect(rerun).toBeLessThanOrEqual(RERUN_BOUND);
        expect((await spool.stats()).states).toMatchObject({ succeeded: JOBS, enqueued: 0, processing: 0, failed: 0 });
      } finally {
        await spool.close();
        await cleanup();
      }
    });
  }
});
