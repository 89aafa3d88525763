import { fork, type ChildProcess } from 'node:child_process';

import { afterAll, describe, expect, it } from 'vitest';

import { Spool, defineJob } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, postgresAvailable, sql } from './helpers.js';

const available = await postgresAvailable();
const WORKER = new URL('./fixtures/pg-worker.mjs', import.meta.url);
const JOBS = 50_000;
const children: ChildProcess[] = [];
const schema = freshSchema('spool_mp');

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (available) await dropSchemas([schema]);
});

/** Runs per job id, as reported by the workers. */
const runs = new Map<string, number>();
/** Server id of each worker process. */
const serverIds = new Map<ChildProcess, string>();

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(WORKER, { env: { ...process.env, SPOOL_PG_URL: POSTGRES_URL, SPOOL_PG_SCHEMA: schema, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.on('message', (message: { ready?: string; ran?: string[] }) => {
      if (message.ready) {
        serverIds.set(child, message.ready);
        resolve(child);
      }
      for (const id of message.ran ?? []) runs.set(id, (runs.get(id) ?? 0) + 1);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!available)('four server processes on one PostgreSQL', () => {
  it('drain 50,000 jobs, each completed exactly once, a recurring job fired once per occurrence, through a kill -9', async () => {
    const count = defineJob('mp.count', () => undefined);
    const tick = defineJob('mp.tick', () => undefined);
    const spool = new Spool({ storage: new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: 4 }), jobs: [count, tick] });
    await spool.init();
    for (let i = 0; i < JOBS; i += 5000) await spool.enqueueMany(count, Array.from({ length: 5000 }, (_, k) => ({ n: i + k })));
    // Every second, on all four servers at once: each occurrence must fire exactly once.
    await spool.recurring.addOrUpdate('mp.tick', tick, null, { cron: '* * * * * *' });

    const env = { CONCURRENCY: '10', LEASE_MS: '3000', RESCUE_MS: '500', POLL_MS: '200' };
    const workers = await Promise.all([0, 1, 2, 3].map(() => startWorker(env)));
    // Mid-run, one server dies without a word: its leased jobs must complete elsewhere.
    // Early, while most jobs still wait: the four drain 50,000 no-op jobs in a few seconds, and the
    // runs reach this process late (batched over IPC), so waiting for a quarter could kill a server
    // that had already finished its last claim.
    await until(() => runs.size >= JOBS / 50, 'the first jobs to run', 60_000);
    // Kill one while it holds leases. A server can be between claims for a moment (all it held
    // recorded, the next claim not yet committed), so what it held is read again once it is dead and
    // its last statements have ended, before any lease can expire; if it held nothing then, the
    // next server is killed.
    const held = (worker: ChildProcess) =>
      sql(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state = 'processing' AND server_id = $1`, [serverIds.get(worker)]).then((r) => r.rows[0].n as number);
    let victim = workers[0]!;
    let heldAtDeath = 0;
    const killed: string[] = [];
    for (const candidate of workers.slice(0, 3)) {
      victim = candidate;
      killed.push(serverIds.get(victim)!);
      await until(async () => (await held(victim)) > 0, 'the server to be killed to hold leases', 60_000);
      victim.kill('SIGKILL');
      await exited(victim);
      // A statement the victim sent just before it died may still commit (a completion batch):
      // what it held is read until two reads 250 ms apart agree, well before a lease can expire.
      heldAtDeath = await held(victim);
      for (let settled = -1; settled !== heldAtDeath; ) {
        settled = heldAtDeath;
        await new Promise((resolve) => setTimeout(resolve, 250));
        heldAtDeath = await held(victim);
      }
      if (heldAtDeath > 0) break;
    }
    expect(heldAtDeath).toBeGreaterThan(0);
    await until(async () => (await spool.stats()).states.succeeded >= JOBS, 'every job to succeed', 90_000);
    for (const worker of workers.filter((w) => w.exitCode === null && w.signalCode === null)) worker.send('stop');
    await Promise.all(workers.map(exited));

    // Completed exactly once, counted per id: one 'succeeded' history entry per job, none lost.
    const s = `"${schema}"`;
    const completions = await sql(
      `SELECT count(*)::int AS jobs, count(*) FILTER (WHERE n <> 1)::int AS wrong FROM (
         SELECT h.job_id, count(*) AS n FROM ${s}.job_history h JOIN ${s}.jobs j ON j.id = h.job_id
         WHERE j.name = 'mp.count' AND h.state = 'succeeded' GROUP BY h.job_id) x`,
    );
    expect(completions.rows[0]).toEqual({ jobs: JOBS, wrong: 0 });
    // Every job completed by a surviving server was reported run by it (the killed ones' last reports died with them).
    const survivors = await sql(
      `SELECT h.job_id FROM ${s}.job_history h JOIN ${s}.jobs j ON j.id = h.job_id WHERE j.name = 'mp.count' AND h.state = 'succeeded' AND h.server_id <> ALL($1::text[])`,
      [killed],
    );
    expect(survivors.rows.length).toBeGreaterThan(JOBS / 2);
    expect(survivors.rows.filter((r) => (runs.get(r.job_id as string) ?? 0) < 1)).toEqual([]);
    // The jobs the killed server held when it died were rescued by the others and completed there.
    const rescued = await sql(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 'succeeded')::int AS done FROM ${s}.jobs WHERE name = 'mp.count' AND rescues > 0`,
    );
    expect(rescued.rows[0].n).toBeGreaterThanOrEqual(heldAtDeath);
    expect(rescued.rows[0].done).toBe(rescued.rows[0].n);
    // Only rescued jobs may have run twice (at-least-once).
    const twice = [...runs.values()].filter((n) => n > 1).length;
    expect(twice).toBeLessThanOrEqual(rescued.rows[0].n);

    // The recurring job: several occurrences fired, none twice.
    const occurrences = await sql(
      `SELECT created_reason AS reason, count(*)::int AS n FROM ${s}.jobs
       WHERE recurring_id = 'mp.tick' AND created_reason LIKE 'Recurring job%' GROUP BY created_reason`,
    );
    expect(occurrences.rows.length).toBeGreaterThanOrEqual(2);
    expect(occurrences.rows.filter((r) => r.n !== 1)).toEqual([]);

    // Nothing of the drain is left waiting or running. (A server that is stopping may fire one last
    // occurrence of the recurring job after its fetch loop ended: that job waits for the next server.)
    const left = await sql(`SELECT state, count(*)::int AS n FROM ${s}.jobs WHERE name = 'mp.count' AND state <> 'succeeded' GROUP BY state`);
    expect(left.rows).toEqual([]);
    expect((await spool.stats()).states).toMatchObject({ processing: 0, failed: 0 });
    await spool.close();
  });
});
