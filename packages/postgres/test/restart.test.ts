import { execSync } from 'node:child_process';

import { afterAll, describe, expect, it } from 'vitest';

import { Spool, StorageError, defineJob } from '@spool/core';
import type { StorageEvent } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, postgresAvailable } from './helpers.js';

// Stopping the database disturbs every other user of it, so this test runs only when asked:
// SPOOL_TEST_POSTGRES_STOP and SPOOL_TEST_POSTGRES_START hold the shell commands that stop and start
// it (for example `pg_ctlcluster 15 main stop -m fast` and `pg_ctlcluster 15 main start`).
const stop = process.env.SPOOL_TEST_POSTGRES_STOP;
const start = process.env.SPOOL_TEST_POSTGRES_START;
const enabled = stop !== undefined && start !== undefined && (await postgresAvailable());
if (!enabled) console.warn('\n!!! SKIPPING the PostgreSQL restart test: set SPOOL_TEST_POSTGRES_STOP and SPOOL_TEST_POSTGRES_START to run it.\n');
const schema = freshSchema('spool_restart');

afterAll(async () => {
  if (enabled) await dropSchemas([schema]);
});

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!enabled)('a PostgreSQL restart in the middle of a run', () => {
  it('pauses the work, fails enqueues fast and retryably meanwhile, then resumes by itself without losing a job', async () => {
    const seen = new Set<number>();
    const count = defineJob('restart.count', async (args: { n: number }) => {
      seen.add(args.n);
      await new Promise((resolve) => setTimeout(resolve, 2));
    });
    const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: 4, connectTimeout: '2s' });
    const spool = new Spool({ storage, jobs: [count] });
    await spool.init();
    const server = await spool.startServer({ concurrency: 10, handleSignals: false, pollInterval: '200ms', leaseTime: '3s', leaseRenewInterval: '1s', rescueInterval: '500ms' });
    const errors: unknown[] = [];
    server.events.on('error', ({ error }) => errors.push(error));
    const events: StorageEvent[] = [];
    storage.subscribe((e) => events.push(e));
    const total = 5000;
    for (let i = 0; i < total; i += 1000) await spool.enqueueMany(count, Array.from({ length: 1000 }, (_, k) => ({ n: i + k })));
    await until(() => seen.size > 500, 'the first jobs to run');
    const listens = storage.listenConnections;

    execSync(stop!, { stdio: 'inherit' });
    const failure: unknown = await spool.enqueue(count, { n: -1 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ retryable: true });
    execSync(start!, { stdio: 'inherit' });

    await until(() => seen.size === total, 'every job to run', 60_000);
    await until(async () => (await spool.stats().catch(() => null))?.states.succeeded === total, 'every job to succeed', 60_000);
    await until(() => storage.listenConnections > listens, 'LISTEN to come back');
    events.length = 0;
    await spool.enqueue(count, { n: total });
    await until(() => events.some((e) => e.type === 'jobs-enqueued'), 'events to flow again');
    await server.stop();
    expect(errors.length).toBeGreaterThan(0);
    await spool.close();
  });
});
