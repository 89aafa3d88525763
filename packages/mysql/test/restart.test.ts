import { fork, type ChildProcess } from 'node:child_process';

import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool, StorageError, defineJob } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';

import type { PrivateServer } from './private-server.js';
import { mariadbBinaries, startPrivateServer } from './private-server.js';

// The shared MariaDB must never be restarted: this test restarts a server of its own.
const binaries = mariadbBinaries();
if (typeof binaries === 'string') {
  const message = `a private MariaDB cannot be started: ${binaries}`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPING the MySQL restart test: ${message}\n`);
}
const WORKER = new URL('./fixtures/mysql-worker.mjs', import.meta.url);
// The scale: four servers, 50,000 jobs, the database gone and back mid-run.
const JOBS = 50_000;
const prefix = 'spool_restart_';
let server: PrivateServer | null = null;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (typeof binaries !== 'string') server = await startPrivateServer(binaries);
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.destroy();
}, 60_000);

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe.skipIf(typeof binaries === 'string')('a MariaDB restart in the middle of a four-process run', () => {
  it(`the servers recover by themselves and ${JOBS} jobs each complete exactly once`, async () => {
    const url = server!.url;
    const count = defineJob('mp.count', () => undefined);
    const tick = defineJob('mp.tick', () => undefined);
    const spool = new Spool({ storage: new MySqlStorage({ url, prefix, poolSize: 2 }), jobs: [count, tick] });
    await spool.init();
    for (let i = 0; i < JOBS; i += 2000) await spool.enqueueMany(count, Array.from({ length: 2000 }, (_, k) => ({ n: i + k })));

    const runs = new Map<string, number>();
    const reports: Array<{ errors: number }> = [];
    const env = { ...process.env, SPOOL_MYSQL_URL: url, SPOOL_MYSQL_PREFIX: prefix, CONCURRENCY: '10', LEASE_MS: '5000', RESCUE_MS: '500', POLL_MS: '200' };
    const workers = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<ChildProcess>((resolve, reject) => {
            const child = fork(WORKER, { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
            children.push(child);
            child.on('message', (message: { ready?: string; ran?: string[]; errors?: number }) => {
              if (message.ready) resolve(child);
              for (const id of message.ran ?? []) runs.set(id, (runs.get(id) ?? 0) + 1);
              if (message.errors !== undefined) reports.push({ errors: message.errors });
            });
            child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
          }),
      ),
    );
    await until(() => runs.size >= JOBS / 5, 'a fifth of the jobs to run', 120_000);

    // The restart: every connection of every process breaks, mid-claim and mid-completion.
    await server!.stop();
    const ranBeforeRestart = runs.size;
    const failure: unknown = await spool.enqueue(count, { n: -1 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ retryable: true });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server!.start();

    await until(async () => (await spool.stats().catch(() => null))?.states.succeeded === JOBS, 'every job to succeed', 240_000);
    // Nobody restarted the servers: all four are still the processes started before the restart.
    expect(workers.every((w) => w.exitCode === null && w.signalCode === null)).toBe(true);
    for (const worker of workers) worker.send('stop');
    await Promise.all(workers.map(exited));
    expect(ranBeforeRestart).toBeLessThan(JOBS);

    const connection = await mysql.createConnection({ uri: url });
    try {
      // Completed exactly once, counted per id: one 'succeeded' history entry per job (a history row, or
    // the row's own, history-tail.ts), none lost.
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS jobs, COALESCE(SUM(n <> 1), 0) AS wrong FROM (
           SELECT j.id, (j.tail & 2 <> 0) + (SELECT COUNT(*) FROM \`${prefix}history\` h WHERE h.job_id = j.id AND h.state = 'succeeded') AS n
           FROM \`${prefix}jobs\` j WHERE j.name = 'mp.count') x`,
      );
      expect({ jobs: Number(rows[0]!.jobs), wrong: Number(rows[0]!.wrong) }).toEqual({ jobs: JOBS, wrong: 0 });
    } finally {
      await connection.end();
    }
    // Every job ran; a job runs again only when its outcome was lost with the connection (at least once).
    expect(runs.size).toBe(JOBS);
    expect(reports).toHaveLength(4);
    const stats = await spool.stats();
    expect(stats.states).toMatchObject({ enqueued: 0, processing: 0, failed: 0 });
    await spool.close();
  }, 420_000);
});
