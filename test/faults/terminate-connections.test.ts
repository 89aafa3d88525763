import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Spool } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';
import { COUNT_JOB_OPTIONS, exited, killWorkers, startWorker, until } from './worker-processes.js';
import { POSTGRES_URL, dropPostgresSchema, servicesAvailable } from './services.js';

// Every connection of two worker processes is ended by the database (pg_terminate_backend), twice,
// in the middle of a 20,000-job drain: the workers reconnect by themselves (claims, completions and
// LISTEN) and every job ends succeeded, none left processing.
const JOBS = 20_000;
const available = await servicesAvailable();
const dirs: string[] = [];

afterEach(killWorkers);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('every PostgreSQL connection of the workers terminated during a drain', () => {
  it('the workers recover by themselves, and every job succeeds with none left processing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-terminate-'));
    dirs.push(dir);
    const schema = `spool_fault_${randomBytes(5).toString('hex')}`;
    const application = `spool-fault-worker-${randomBytes(4).toString('hex')}`;
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('application_name', application);
    const spool = new Spool({ storage: new PostgresStorage({ connectionString: POSTGRES_URL, schema }) });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      for (let i = 0; i < JOBS / 1000; i++) await spool.enqueueMany('fault.count', Array.from({ length: 1000 }, () => null), COUNT_JOB_OPTIONS);
      const files = [0, 1].map((n) => join(dir, `worker-${n}.txt`));
      const env = { STORAGE: 'postgres', POSTGRES_URL: url.toString(), SPOOL_SCHEMA: schema, CONCURRENCY: '10', LEASE_MS: '3000', RESCUE_MS: '200' };
      const workers = await Promise.all(files.map((file) => startWorker({ ...env, RECORD_FILE: file }, 'ignore')));
      let terminated = 0;
      for (const fraction of [0.2, 0.5]) {
        await until(async () => (await spool.stats()).states.succeeded >= JOBS * fraction, `${fraction * 100} % of the jobs to succeed`, 60_000);
        const { rows } = await admin.query<{ ended: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1',
          [application],
        );
        terminated += rows.filter((r) => r.ended).length;
      }
      await until(async () => (await spool.stats()).states.succeeded === JOBS, 'every job to succeed', 120_000);
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(workers.map(exited));

      const ran = new Set<string>();
      for (const file of files) if (existsSync(file)) for (const id of readFileSync(file, 'utf8').split('\n')) if (id) ran.add(id);
      console.log(`terminated ${terminated} connections in two rounds; ${ran.size} distinct jobs ran`);
      expect(terminated).toBeGreaterThanOrEqual(4);
      expect(ran.size).toBe(JOBS);
      expect((await spool.stats()).states).toMatchObject({ succeeded: JOBS, enqueued: 0, processing: 0, failed: 0 });
    } finally {
      await admin.end();
      await spool.close();
      await dropPostgresSchema(schema);
    }
  });
});
