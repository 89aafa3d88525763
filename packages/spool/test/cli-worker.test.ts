import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from 'spool';

import { fixture, runCli, runJson, startCli, tempDir } from './cli-harness.js';

let dir: string;
let remove: () => void;
let storage: string;

beforeEach(() => {
  ({ dir, remove } = tempDir());
  storage = `sqlite:${join(dir, 'spool.db')}`;
});
afterEach(() => remove());

/** Polls until `check` holds; bounded, so a broken worker fails the test instead of hanging it. */
async function eventually(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('spool worker', () => {
  it('drains the jobs of every exported definition and stops on SIGTERM with exit code 0', async () => {
    const file = join(dir, 'echo.ndjson');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => JSON.stringify({ i })).join('\n'));
    expect((await runJson<{ enqueued: number }>(['enqueue', 'fixture.echo', '--file', file, '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage])).enqueued).toBe(30);
    const slow = await runJson<{ id: string }>(['enqueue', 'fixture.slow', '--args', '{"ms":10}', '--queue', 'slow', '--attempts', '10', '--timeout', 'none', '--storage', storage]);

    const worker = startCli(['worker', '--jobs', fixture('jobs.js'), '--concurrency', '5', '--poll-interval', '100ms', '--storage', storage]);
    const spool = new Spool({ storage });
    try {
      await eventually(async () => (await spool.stats()).states.succeeded === 31, 'all 31 jobs succeeded');
      const echo = await spool.storage.monitoring.jobsList({ name: 'fixture.echo', limit: 1 });
      expect(echo.jobs[0]).toMatchObject({ state: 'succeeded', result: { echoed: { i: 29 } } });
      expect((await spool.getJob(slow.id))?.result).toEqual({ slept: 10 });
      // The server announced every definition of the module, named and from the default array.
      const [server] = await spool.storage.monitoring.servers();
      expect([...server!.jobNames].sort()).toEqual(['fixture.echo', 'fixture.fail', 'fixture.slow']);
      expect(server!.queues).toEqual(['default', 'slow']);
    } finally {
      await spool.close();
    }
    worker.child.kill('SIGTERM');
    const run = await worker.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('started');
    expect(run.stderr).toContain('SIGTERM: stopping');
    expect(run.stderr).toMatch(/stopped: succeeded 31, failed 0/);
  });

  it('returns a running job to its queue when it stops, and removes itself from the live servers', async () => {
    const { id } = await runJson<{ id: string }>(['enqueue', 'fixture.slow', '--args', '{"ms":60000}', '--queue', 'slow', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    const worker = startCli(['worker', '--jobs', fixture('jobs.js'), '--queues', 'slow', '--shutdown-timeout', '100ms', '--poll-interval', '100ms', '--json', '--storage', storage]);
    const spool = new Spool({ storage });
    try {
      await eventually(async () => (await spool.getJob(id))?.state === 'processing', 'the job runs');
      worker.child.kill('SIGINT');
      const run = await worker.done;
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ signal: 'SIGINT', queues: ['slow'], succeeded: 0 });
      expect((await spool.getJob(id))?.state).toBe('enqueued');
      expect(await spool.storage.monitoring.servers()).toEqual([]);
    } finally {
      await spool.close();
    }
  });

  it('runs a failing job to its last attempt; jobs get shows the error and the reason of every change', async () => {
    // --jobs gives the job its definition's options: 2 attempts instead of the default 10.
    const { id } = await runJson<{ id: string }>(['enqueue', 'fixture.fail', '--args', '{"what":"the impossible"}', '--jobs', fixture('jobs.js'), '--storage', storage]);
    const worker = startCli(['worker', '--jobs', fixture('jobs.js'), '--poll-interval', '100ms', '--storage', storage]);
    try {
      await eventually(async () => (await runJson<{ job: { state: string } }>(['jobs', 'get', id, '--storage', storage])).job.state === 'failed', 'the job failed');
    } finally {
      worker.child.kill('SIGTERM');
    }
    const run = await worker.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`failed: fixture.fail ${id}: cannot do the impossible (attempt 2 of 2; no retries left)`);
    expect(run.stderr).toMatch(/stopped: succeeded 0, failed 1, retried 1/);

    const { job } = await runJson<{ job: { attempt: number; error: { message: string }; history: Array<{ state: string; reason: string }> } }>([
      'jobs', 'get', id, '--storage', storage,
    ]);
    expect(job.attempt).toBe(2);
    expect(job.error.message).toBe('cannot do the impossible');
    expect(job.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'scheduled', 'enqueued', 'processing', 'failed']);
    expect(job.history[2]!.reason).toMatch(/^Attempt 1 of 2 failed: cannot do the impossible; retry in/);

    const human = await runCli(['jobs', 'get', id, '--storage', storage]);
    expect(human.stdout).toMatch(/^error\s+Error: cannot do the impossible$/m);
    expect(human.stdout).toContain('error stack');
    expect(human.stdout).toMatch(/^(just now|\S+ ago)\s+failed\s+Attempt 2 of 2 failed: cannot do the impossible/m);
  });

  it("enqueues with the options of the job's definition when given --jobs, and only with stated options otherwise", async () => {
    const withDefinition = await runJson<{ queue: string }>(['enqueue', 'fixture.slow', '--jobs', fixture('jobs.js'), '--storage', storage]);
    expect(withDefinition.queue).toBe('slow');
    const refused = await runCli(['enqueue', 'fixture.slow', '--queue', 'slow', '--storage', storage]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no definition of "fixture.slow"');
    expect(refused.stderr).toContain('missing: attempts, timeout');
    const stated = await runJson<{ id: string; queue: string }>(['enqueue', 'fixture.slow', '--queue', 'slow', '--attempts', '1', '--timeout', '30s', '--storage', storage]);
    expect(stated.queue).toBe('slow');
    const spool = new Spool({ storage });
    try {
      expect(await spool.getJob(stated.id)).toMatchObject({ maxAttempts: 1, timeoutMs: 30_000 });
    } finally {
      await spool.close();
    }
  });

  it('explains a jobs module that does not exist', async () => {
    const run = await runCli(['worker', '--jobs', './missing/jobs.js', '--storage', 'memory:'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error \[ERR_JOBS_MODULE\]: --jobs \.\/missing\/jobs\.js: no such file/);
  });

  it('explains a module that exports no job definitions', async () => {
    const file = join(dir, 'empty.mjs');
    writeFileSync(file, 'export const notAJob = 1;\n');
    const run = await runCli(['worker', '--jobs', file, '--storage', 'memory:']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('exports no job definitions');
  });

  it('requires --jobs', async () => {
    const run = await runCli(['worker', '--storage', 'memory:']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --jobs <module>');
  });

  it('notes when no running server handles a job, and when the servers that do skip its queue', async () => {
    const { id } = await runJson<{ id: string }>(['enqueue', 'fixture.echo', '--queue', 'parked', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    const before = await runJson<{ notes: string[] }>(['jobs', 'get', id, '--storage', storage]);
    expect(before.notes).toEqual([expect.stringContaining('no running server handles fixture.echo')]);

    // A worker that has the definition but does not serve the job's queue: the note says so.
    const worker = startCli(['worker', '--jobs', fixture('jobs.js'), '--queues', 'default', '--storage', storage]);
    const spool = new Spool({ storage });
    try {
      await eventually(async () => (await spool.storage.monitoring.servers()).length === 1, 'the worker announced itself');
      const during = await runJson<{ notes: string[] }>(['jobs', 'get', id, '--storage', storage]);
      expect(during.notes).toEqual([expect.stringContaining('do not serve the queue "parked"')]);
    } finally {
      await spool.close();
      worker.child.kill('SIGTERM');
      expect((await worker.done).code).toBe(0);
    }
  });
});
