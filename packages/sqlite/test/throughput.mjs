// Measures the SQLite storage's throughput in this process (not a test: it asserts nothing).
//   npx tsc -b packages/sqlite && node packages/sqlite/test/throughput.mjs [enqueueJobs] [burnDownJobs] [rounds]
// 1. storage.jobsCreate of `enqueueJobs` jobs in calls of 10,000;
// 2. spool.enqueueMany of `enqueueJobs` jobs in calls of 10,000;
// 3. a burn-down: `burnDownJobs` no-op jobs already enqueued, drained by a real server at concurrency 10.
// Each on a fresh database file in the OS temp directory, removed afterwards; `rounds` times, best kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { Spool, UuidV7Generator, defineJob } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

const ENQUEUE = Number(process.argv[2] ?? 100_000);
const BURN_DOWN = Number(process.argv[3] ?? 20_000);
const ROUNDS = Number(process.argv[4] ?? 3);
const CALL = 10_000;

const noop = defineJob('noop', async () => {});
const ids = new UuidV7Generator();

function newJob(n) {
  return {
    id: ids.next(), name: 'noop', args: { to: `user-${n}`, text: 'hello' }, queue: 'default', priority: 0, state: 'enqueued',
    runAt: null, maxAttempts: 10, timeoutMs: null, retentionMs: 86_400_000, backoff: null, uniqueKey: null, parentId: null,
    continueOn: null, recurringId: null, parameters: {}, reason: 'Enqueued',
  };
}

async function withStorage(run) {
  const dir = mkdtempSync(join(tmpdir(), 'spool-throughput-'));
  const storage = new SqliteStorage({ path: join(dir, 'spool.db') });
  try {
    await storage.init();
    return await run(storage);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rate(count, ms) {
  return Math.round((count / ms) * 1000);
}

async function jobsCreate() {
  return withStorage(async (storage) => {
    const jobs = Array.from({ length: ENQUEUE }, (_, n) => newJob(n));
    const start = performance.now();
    for (let at = 0; at < ENQUEUE; at += CALL) await storage.jobsCreate({ jobs: jobs.slice(at, at + CALL) });
    return rate(ENQUEUE, performance.now() - start);
  });
}

async function enqueueMany() {
  return withStorage(async (storage) => {
    const spool = new Spool({ storage, jobs: [noop] });
    await spool.init();
    const args = Array.from({ length: ENQUEUE }, (_, n) => ({ to: `user-${n}`, text: 'hello' }));
    const start = performance.now();
    for (let at = 0; at < ENQUEUE; at += CALL) await spool.enqueueMany(noop, args.slice(at, at + CALL));
    return rate(ENQUEUE, performance.now() - start);
  });
}

async function burnDown() {
  return withStorage(async (storage) => {
    for (let at = 0; at < BURN_DOWN; at += CALL) {
      await storage.jobsCreate({ jobs: Array.from({ length: Math.min(CALL, BURN_DOWN - at) }, (_, n) => newJob(at + n)) });
    }
    const spool = new Spool({ storage, jobs: [noop] });
    let done = 0;
    let finish;
    const finished = new Promise((resolve) => (finish = resolve));
    const start = performance.now();
    const server = await spool.startServer({ concurrency: 10, handleSignals: false });
    server.events.on('job:succeeded', () => {
      if (++done === BURN_DOWN) finish();
    });
    await finished;
    const ms = performance.now() - start;
    await server.stop();
    return rate(BURN_DOWN, ms);
  });
}

const best = { jobsCreate: 0, enqueueMany: 0, burnDown: 0 };
for (let round = 1; round <= ROUNDS; round++) {
  const results = { jobsCreate: await jobsCreate(), enqueueMany: await enqueueMany(), burnDown: await burnDown() };
  for (const key of Object.keys(best)) best[key] = Math.max(best[key], results[key]);
  console.log(`round ${round}: jobsCreate ${results.jobsCreate} jobs/s, enqueueMany ${results.enqueueMany} jobs/s, burn-down ${results.burnDown} jobs/s`);
}
console.log(`best of ${ROUNDS}: jobsCreate ${best.jobsCreate} jobs/s, enqueueMany ${best.enqueueMany} jobs/s, burn-down (${BURN_DOWN} jobs, concurrency 10) ${best.burnDown} jobs/s`);
