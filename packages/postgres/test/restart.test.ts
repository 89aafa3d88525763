import { fork, type ChildProcess } from 'node:child_process';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool, StorageError, defineJob } from '@spool/core';
import type { StorageEvent } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import type { PrivateCluster } from './private-cluster.js';
import { postgresBinDir, startPrivateCluster } from './private-cluster.js';

// Stopping a database disturbs everyone who uses it, so this test stops and starts a PostgreSQL of
// its own: a temporary cluster on a free loopback port, made with the server's own initdb and pg_ctl.
const binDir = postgresBinDir();
if (binDir === null) {
  const message = 'PostgreSQL server binaries (initdb, pg_ctl) not found: install the postgresql package.';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPING the PostgreSQL restart test: ${message}\n`);
}
let cluster: PrivateCluster | null = null;

beforeAll(async () => {
  if (binDir !== null) cluster = await startPrivateCluster(binDir);
});

afterAll(() => {
  cluster?.destroy();
});

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(binDir === null)('a PostgreSQL restart in the middle of a run', () => {
  it('pauses the work, fails enqueues fast and retryably meanwhile, then resumes by itself without losing a job', async () => {
    const seen = new Set<number>();
    const count = defineJob('restart.count', async (args: { n: number }) => {
      seen.add(args.n);
      await new Promise((resolve) => setTimeout(resolve, 2));
    });
    const storage = new PostgresStorage({ connectionString: cluster!.url, poolSize: 4, connectTimeout: '2s' });
    const spool = new Spool({ storage, jobs: [count] });
    await spool.init();
    const server = await spool.startServer({ concurrency: 10, handleSignals: false, pollInterval: '200ms', leaseTime: '3s', leaseRenewInterval: '1s', rescueInterval: '500ms' });
    const events: StorageEvent[] = [];
    storage.subscribe((e) => events.push(e));
    const total = 5000;
    for (let i = 0; i < total; i += 1000) await spool.enqueueMany(count, Array.from({ length: 1000 }, (_, k) => ({ n: i + k })));
    await until(() => seen.size > 500, 'the first jobs to run');
    const listens = storage.listenConnections;
    // The restart comes in the middle of the run. Whether the server sees an error depends on
    // whether a statement was in flight at that moment (dead idle connections are replaced quietly),
    // so what is asserted is that the run finishes and LISTEN comes back.
    expect(seen.size).toBeLessThan(total);

    cluster!.stop();
    const failure: unknown = await spool.enqueue(count, { n: -1 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ retryable: true });
    cluster!.start();

    await until(() => seen.size === total, 'every job to run', 60_000);
    await until(async () => (await spool.stats().catch(() => null))?.states.succeeded === total, 'every job to succeed', 60_000);
    await until(() => storage.listenConnections > listens, 'LISTEN to come back');
    events.length = 0;
    await spool.enqueue(count, { n: total });
    await until(() => events.some((e) => e.type === 'jobs-enqueued'), 'events to flow again');
    await server.stop();
    await spool.close();
  });

  it('four server processes drain 50,000 jobs through a restart, each completed exactly once', async () => {
    const JOBS = 50_000;
    const schema = 'spool_restart_many';
    const count = defineJob('mp.count', () => undefined);
    const spool = new Spool({ storage: new PostgresStorage({ connectionString: cluster!.url, schema, poolSize: 4 }), jobs: [count] });
    await spool.init();
    for (let i = 0; i < JOBS; i += 5000) await spool.enqueueMany(count, Array.from({ length: 5000 }, (_, k) => ({ n: i + k })));
    const runs = new Map<string, number>();
    const workers: ChildProcess[] = [];
    const exited = (child: ChildProcess) =>
      child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const env = { ...process.env, SPOOL_PG_URL: cluster!.url, SPOOL_PG_SCHEMA: schema, CONCURRENCY: '10', LEASE_MS: '5000', RESCUE_MS: '500', POLL_MS: '200' };
      await Promise.all(
        [0, 1, 2, 3].map(
          () =>
            new Promise<void>((resolve, reject) => {
              const child = fork(new URL('./fixtures/pg-worker.mjs', import.meta.url), { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
              workers.push(child);
              child.on('message', (message: { ready?: string; ran?: string[] }) => {
                if (message.ready) resolve();
                for (const id of message.ran ?? []) runs.set(id, (runs.get(id) ?? 0) + 1);
              });
              child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
            }),
        ),
      );
      await until(() => runs.size >= JOBS / 4, 'a quarter of the jobs to run', 60_000);
      // The restart: every connection of every process breaks, LISTEN included.
      cluster!.stop();
      const ranBeforeRestart = runs.size;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      cluster!.start();
      await until(async () => (await spool.stats().catch(() => null))?.states.succeeded === JOBS, 'every job to succeed', 120_000);
      for (const worker of workers) worker.send('stop');
      await Promise.all(workers.map(exited));

      const client = new pg.Client({ connectionString: cluster!.url });
      await client.connect();
      try {
        // Completed exactly once, counted per id: one 'succeeded' history entry per job.
        const { rows } = await client.query(
          `SELECT count(*)::int AS jobs, count(*) FILTER (WHERE n <> 1)::int AS wrong FROM (
             SELECT h.job_id, count(*) AS n FROM ${schema}.job_history h WHERE h.state = 'succeeded' GROUP BY h.job_id) x`,
        );
        expect(rows[0]).toEqual({ jobs: JOBS, wrong: 0 });
      } finally {
        await client.end();
      }
      // Work went on after the restart, and every job ran at least once.
      expect(runs.size).toBe(JOBS);
      expect(ranBeforeRestart).toBeLessThan(JOBS);
      expect((await spool.stats()).states).toMatchObject({ enqueued: 0, processing: 0, failed: 0, succeeded: JOBS });
    } finally {
      for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      await spool.close();
    }
  });
});
