import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

const WORKER = new URL('./fixtures/sqlite-worker.mjs', import.meta.url);
/** The options of the worker's definitions, which this process states (it has no definition). */
const WORKER_JOB_OPTIONS = { queue: 'default', attempts: 10, timeout: null } as const;
const children: ChildProcess[] = [];
let dir: string;

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(WORKER, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function countLines(files: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const id of readFileSync(file, 'utf8').split('\n').filter(Boolean)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('several worker processes on one SQLite file', () => {
  it('drain 20,000 jobs with each completed exactly once and none lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-e2e-'));
    const db = join(dir, 'spool.db');
    const spool = new Spool({ storage: new SqliteStorage({ path: db }) });
    const ids: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      ids.push(...(await spool.enqueueMany('e2e.count', Array.from({ length: 1000 }, (_, i) => ({ n: batch * 1000 + i })), WORKER_JOB_OPTIONS)));
    }
    const records = [0, 1, 2].map((i) => join(dir, `worker-${i}.txt`));
    const workers = await Promise.all(records.map((file) => startWorker({ SPOOL_DB: db, RECORD_FILE: file, CONCURRENCY: '10' })));
    await until(async () => (await spool.stats()).states.succeeded === 20_000, 'all jobs to succeed', 120_000);
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map(exited));

    const counts = countLines(records);
    expect(counts.size).toBe(20_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(ids)).toEqual(new Set(counts.keys()));
    const stats = await spool.stats();
    expect(stats.states).toMatchObject({ succeeded: 20_000, enqueued: 0, processing: 0, failed: 0 });
    // Every worker took a share: the work was really spread over the processes.
    for (const file of records) expect(readFileSync(file, 'utf8').length).toBeGreaterThan(0);
    await spool.close();
  });

  it('finish a job on another worker after the worker running it is killed with SIGKILL', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-e2e-'));
    const db = join(dir, 'spool.db');
    const spool = new Spool({ storage: new SqliteStorage({ path: db }) });
    const marker = join(dir, 'started.txt');
    const env = { SPOOL_DB: db, LEASE_MS: '2000', RESCUE_MS: '200', POLL_MS: '50' };
    const first = await startWorker({ ...env, RECORD_FILE: join(dir, 'first.txt') });
    const id = await spool.enqueue('e2e.slow', { ms: 1500, startedMarker: marker }, WORKER_JOB_OPTIONS);
    await until(async () => existsSync(marker), 'the job to start on the first worker', 20_000);
    first.kill('SIGKILL');
    await exited(first);
    const second = await startWorker({ ...env, RECORD_FILE: join(dir, 'second.txt') });
    await until(async () => (await spool.getJob(id))?.state === 'succeeded', 'the job to succeed on the second worker', 30_000);

    const job = (await spool.getJob(id))!;
    expect(job.rescues).toBe(1);
    expect((job.result as { finishedBy: number }).finishedBy).toBe(second.pid);
    expect(job.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'enqueued', 'processing', 'succeeded']);
    expect(job.history[2]!.reason).toContain('Lease expired');
    expect(countLines([join(dir, 'second.txt')]).get(id)).toBe(1);
    second.kill('SIGTERM');
    await exited(second);
    await spool.close();
  });

  it('stops a worker gracefully on SIGTERM, returning its running job to the queue', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-e2e-'));
    const db = join(dir, 'spool.db');
    const spool = new Spool({ storage: new SqliteStorage({ path: db }) });
    const marker = join(dir, 'started.txt');
    const worker = await startWorker({ SPOOL_DB: db, RECORD_FILE: join(dir, 'w.txt'), POLL_MS: '50' });
    const id = await spool.enqueue('e2e.slow', { ms: 60_000, startedMarker: marker }, WORKER_JOB_OPTIONS);
    await until(async () => existsSync(marker), 'the job to start', 20_000);
    worker.kill('SIGTERM');
    await exited(worker);
    const job = (await spool.getJob(id))!;
    expect(job.state).toBe('enqueued');
    expect(job.attempt).toBe(0);
    expect(job.history.some((h) => h.state === 'failed')).toBe(false);
    expect((await spool.storage.monitoring.servers()).length).toBe(0);
    await spool.close();
  });
});
