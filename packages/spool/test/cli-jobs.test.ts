import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MetricsRecorder } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';
import { Spool, defineJob } from 'spool';

import { runCli, runJson, tempDir } from './cli-harness.js';

type JobJson = { id: string; name: string; state: string; queue: string; priority: number; args: unknown; history: Array<{ state: string; reason: string }> };

let dir: string;
let remove: () => void;
let storage: string;

beforeEach(() => {
  ({ dir, remove } = tempDir());
  storage = `sqlite:${join(dir, 'spool.db')}`;
});
afterEach(() => remove());

describe('spool enqueue, jobs get, jobs list and stats', () => {
  it('enqueues a job that jobs get shows with its arguments and history', async () => {
    const enqueued = await runJson<{ id: string; state: string; queue: string }>(
      ['enqueue', 'emails.send', '--args', '{"to":"ann@example.com"}', '--queue', 'mail', '--priority', '5', '--attempts', '10', '--timeout', 'none', '--storage', storage],
    );
    expect(enqueued.state).toBe('enqueued');
    expect(enqueued.queue).toBe('mail');

    const { job, notes } = await runJson<{ job: JobJson; notes: string[] }>(['jobs', 'get', enqueued.id, '--storage', storage]);
    expect(job).toMatchObject({ id: enqueued.id, name: 'emails.send', state: 'enqueued', queue: 'mail', priority: 5, args: { to: 'ann@example.com' } });
    expect(job.history.map((h) => h.state)).toEqual(['enqueued']);
    expect(notes).toEqual([expect.stringContaining('no running server handles emails.send')]);
  });

  it('prints the human form of a job with the note that no running server handles it', async () => {
    const enqueue = await runCli(['enqueue', 'reports.build', '--args', '{"day":"2030-01-01"}', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    expect(enqueue.code).toBe(0);
    const id = enqueue.stdout.trim();
    expect(enqueue.stderr).toContain('no running server handles reports.build');

    const get = await runCli(['jobs', 'get', id, '--storage', storage]);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^id\s+[0-9a-f-]{36}$/m);
    expect(get.stdout).toMatch(/^state\s+enqueued$/m);
    expect(get.stdout).toContain('{"day":"2030-01-01"}');
    expect(get.stdout).toMatch(/history \(oldest first\)\nWHEN\s+STATE\s+REASON/);
    expect(get.stdout).toContain('note: no running server handles reports.build');
  });

  it('says in a note which limit holds a waiting job', async () => {
    const hold = new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref());
    const send = defineJob('mail.send', () => hold, { queue: 'mail' });
    const spool = new Spool({ storage, jobs: [send] });
    try {
      await spool.limits.set({ queue: 'mail' }, { concurrency: 1 });
      const running = await spool.enqueue(send, null);
      const waiting = await spool.enqueue(send, null);
      const server = await spool.startServer({ queues: ['mail'], pollInterval: 20, handleSignals: false, shutdownTimeout: 10 });
      for (let i = 0; i < 500 && (await spool.getJob(running))?.state !== 'processing'; i++) await new Promise((r) => setTimeout(r, 10));
      const { notes } = await runJson<{ notes: string[] }>(['jobs', 'get', waiting, '--storage', storage]);
      expect(notes[0]).toBe('waiting for a slot of queue mail: 1 of 1 running');
      await server.stop();
    } finally {
      await spool.close();
    }
  });

  it('schedules a job with --delay', async () => {
    const { id, state } = await runJson<{ id: string; state: string }>(['enqueue', 'later.job', '--delay', '10m', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    expect(state).toBe('scheduled');
    const { job, notes } = await runJson<{ job: JobJson & { runAt: string }; notes: string[] }>(['jobs', 'get', id, '--storage', storage]);
    expect(new Date(job.runAt).getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    expect(notes).toEqual([]);
  });

  it('returns the holder of a unique key instead of enqueueing twice', async () => {
    const first = await runJson<{ id: string }>(['enqueue', 'cache.rebuild', '--unique-key', 'cache', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    const second = await runJson<{ id: string }>(['enqueue', 'cache.rebuild', '--unique-key', 'cache', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    expect(second.id).toBe(first.id);
  });

  it('lists jobs newest first with filters and a cursor', async () => {
    const ids: string[] = [];
    for (const [name, queue] of [['a.job', 'q1'], ['b.job', 'q2'], ['a.job', 'q2']] as const) {
      ids.push((await runJson<{ id: string }>(['enqueue', name, '--queue', queue, '--attempts', '10', '--timeout', 'none', '--storage', storage])).id);
    }
    const all = await runJson<{ jobs: JobJson[]; nextCursor: string | null }>(['jobs', 'list', '--storage', storage]);
    expect(all.jobs.map((j) => j.id)).toEqual([...ids].reverse());
    expect(all.nextCursor).toBeNull();

    const byName = await runJson<{ jobs: JobJson[] }>(['jobs', 'list', '--name', 'a.job', '--storage', storage]);
    expect(byName.jobs.map((j) => j.id)).toEqual([ids[2], ids[0]]);
    const byQueue = await runJson<{ jobs: JobJson[] }>(['jobs', 'list', '--queue', 'q2', '--state', 'enqueued', '--storage', storage]);
    expect(byQueue.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);

    const page1 = await runJson<{ jobs: JobJson[]; nextCursor: string }>(['jobs', 'list', '--limit', '2', '--storage', storage]);
    expect(page1.jobs).toHaveLength(2);
    const page2 = await runJson<{ jobs: JobJson[]; nextCursor: string | null }>(['jobs', 'list', '--limit', '2', '--cursor', page1.nextCursor, '--storage', storage]);
    expect(page2.jobs.map((j) => j.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();

    const human = await runCli(['jobs', 'list', '--limit', '2', '--storage', storage]);
    expect(human.stdout).toMatch(/^ID\s+NAME\s+QUEUE\s+STATE\s+ATTEMPT\s+CREATED\s+UPDATED$/m);
    expect(human.stdout).toContain(`more jobs: add --cursor ${page1.nextCursor}`);
  });

  it('counts jobs per state and queue in stats', async () => {
    await runCli(['enqueue', 'a.job', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    await runCli(['enqueue', 'a.job', '--queue', 'other', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    await runCli(['enqueue', 'a.job', '--delay', '1h', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    const stats = await runJson<{ states: Record<string, number>; queues: Array<{ name: string; enqueued: number }> }>(['stats', '--storage', storage]);
    expect(stats.states).toMatchObject({ enqueued: 2, scheduled: 1, succeeded: 0 });
    expect(stats.queues).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'default', enqueued: 1 }), expect.objectContaining({ name: 'other', enqueued: 1 })]));

    const human = await runCli(['stats', '--storage', storage]);
    expect(human.stdout).toMatch(/^enqueued\s+2$/m);
    expect(human.stdout).toMatch(/^scheduled\s+1$/m);
  });

  it('shows job metrics per job name with stats --by-name', async () => {
    const file = new SqliteStorage({ path: join(dir, 'spool.db') });
    const recorder = new MetricsRecorder();
    for (let i = 0; i < 9; i++) recorder.outcome('emails.send', 'mail', 'succeeded', Date.now(), 120);
    recorder.outcome('emails.send', 'mail', 'failed', Date.now(), 120);
    await file.init();
    await file.metricsRecord({ counts: recorder.take() });
    await file.close();
    const report = await runJson<{ window: string; rows: Array<{ name: string; succeeded: number; failureRate: number }> }>(['stats', '--by-name', '--window', 'day', '--storage', storage]);
    expect(report.window).toBe('day');
    expect(report.rows).toEqual([expect.objectContaining({ name: 'emails.send', succeeded: 9, failureRate: 0.1 })]);
    const human = await runCli(['stats', '--by-name', '--storage', storage]);
    expect(human.stdout).toMatch(/^emails\.send\s+mail\s+0\.15\s+0\.02\s+10\.0%\s+- - -\s+\d+ms \d+ms \d+ms$/m);
  });

  it('enqueues every line of an NDJSON file in batches', async () => {
    const file = join(dir, 'jobs.ndjson');
    const lines = Array.from({ length: 250 }, (_, i) => JSON.stringify({ n: i }));
    writeFileSync(file, `${lines.slice(0, 100).join('\n')}\n\n${lines.slice(100).join('\n')}\n`);
    const result = await runJson<{ enqueued: number }>(['enqueue', 'bulk.job', '--file', file, '--batch-size', '100', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    expect(result.enqueued).toBe(250);
    const stats = await runJson<{ states: Record<string, number> }>(['stats', '--storage', storage]);
    expect(stats.states.enqueued).toBe(250);
    const found = await runJson<{ jobs: JobJson[] }>(['jobs', 'list', '--search', '{"n":249}', '--storage', storage]);
    expect(found.jobs.map((j) => j.args)).toEqual([{ n: 249 }]);
  });

  it('reads NDJSON from standard input with --file -', async () => {
    const result = await runJson<{ enqueued: number }>(['enqueue', 'bulk.job', '--file', '-', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage], { input: '{"a":1}\n{"a":2}\n' });
    expect(result.enqueued).toBe(2);
  });

  it('stops at a line that is not JSON and says where to resume', async () => {
    const file = join(dir, 'bad.ndjson');
    writeFileSync(file, '{"n":1}\n{"n":2}\nnot json\n{"n":4}\n');
    const run = await runCli(['enqueue', 'bulk.job', '--file', file, '--batch-size', '1', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [ERR_INVALID_NDJSON]: line 3 of');
    expect(run.stderr).toContain('2 jobs from the lines before line 3 were enqueued');
    const stats = await runJson<{ states: Record<string, number> }>(['stats', '--storage', storage]);
    expect(stats.states.enqueued).toBe(2);
  });

  it('reports a job that does not exist with ERR_JOB_NOT_FOUND and exit code 1', async () => {
    await runCli(['enqueue', 'some.job', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    const run = await runCli(['jobs', 'get', '01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f', '--storage', storage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error \[ERR_JOB_NOT_FOUND\]: No job with id 01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f exists/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to read a storage file that does not exist instead of creating an empty one', async () => {
    for (const args of [['stats'], ['jobs', 'list'], ['recurring', 'list']]) {
      const run = await runCli(args, { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error \[ERR_STORAGE_NOT_FOUND\]: No storage at .*spool\.db \(from sqlite:\.\/data\/spool\.db\)/);
    }
    expect(existsSync(join(dir, 'data', 'spool.db'))).toBe(false);
  });

  it('reports an invalid job name as a configuration error', async () => {
    const run = await runCli(['enqueue', 'bad name!', '--queue', 'default', '--attempts', '10', '--timeout', 'none', '--storage', storage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error \[ERR_CONFIG\]: Invalid configuration:/);
  });
});

describe('spool migrate', () => {
  it('applies the migrations of a new SQLite file once, then finds it up to date', async () => {
    const first = await runJson<{ storage: string; applied: number[] }>(['migrate', '--storage', storage]);
    expect(first.storage).toBe('sqlite');
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await runJson<{ applied: number[] }>(['migrate', '--storage', storage]);
    expect(second.applied).toEqual([]);
    const human = await runCli(['migrate', '--storage', storage]);
    expect(human.stdout).toContain('up to date');
  });

  it('uses sqlite:./data/spool.db relative to the current directory by default', async () => {
    const run = await runCli(['migrate'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, 'data', 'spool.db'))).toBe(true);
  });

  it('has nothing to apply on a memory storage', async () => {
    expect(await runJson(['migrate', '--storage', 'memory:'])).toEqual({ storage: 'memory', applied: [] });
  });
});
