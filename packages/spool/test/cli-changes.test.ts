import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineJob, Spool } from 'spool';

import { runCli, runJson, tempDir } from './cli-harness.js';

let dir: string;
let remove: () => void;
let storage: string;

const report = defineJob('reports.build', (args: { month: number }) => args.month);

async function withSpool<T>(body: (spool: Spool) => Promise<T>): Promise<T> {
  const spool = new Spool({ storage, jobs: [report] });
  try {
    return await body(spool);
  } finally {
    await spool.close();
  }
}

beforeEach(() => {
  ({ dir, remove } = tempDir());
  storage = `sqlite:${join(dir, 'spool.db')}`;
});
afterEach(() => remove());

describe('spool jobs change', () => {
  it('changes the due time, priority, queue and arguments of a scheduled job', async () => {
    const id = await withSpool((spool) => spool.schedule(report, { month: 1 }, { delay: '1h' }));
    const at = '2031-05-01T09:00:00.000Z';
    const changed = await runJson<{ state: string; priority: number; queue: string; runAt: string; changed: string[] }>([
      'jobs', 'change', id, '--at', at, '--priority', '7', '--queue', 'reports', '--args', '{"month":2}', '--storage', storage,
    ]);
    expect(changed).toMatchObject({ state: 'scheduled', priority: 7, queue: 'reports', runAt: at });
    expect(changed.changed.sort()).toEqual(['args', 'at', 'priority', 'queue']);
    const job = await withSpool((spool) => spool.getJob(id));
    expect(job).toMatchObject({ args: { month: 2 }, priority: 7, queue: 'reports', runAt: new Date(at) });
    expect(job!.history.at(-1)!.reason).toContain('arguments changed');

    const text = await runCli(['jobs', 'change', id, '--priority', '1', '--storage', storage]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`changed priority of reports.build ${id}`);
  });

  it('refuses a job that has finished, naming the state found, and changes nothing', async () => {
    const id = await withSpool(async (spool) => {
      const id = await spool.enqueue(report, { month: 1 });
      await spool.perform(id);
      return id;
    });
    const run = await runCli(['jobs', 'change', id, '--priority', '3', '--storage', storage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('[ERR_JOB_NOT_WAITING]');
    expect(run.stderr).toContain('is succeeded');
    expect((await withSpool((spool) => spool.getJob(id)))!.priority).toBe(0);
  });

  it('refuses a due time for a job that is already enqueued', async () => {
    const id = await withSpool((spool) => spool.enqueue(report, { month: 1 }));
    const run = await runCli(['jobs', 'change', id, '--delay', '10m', '--storage', storage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[ERR_JOB_NOT_WAITING\].*is enqueued, which allows changing priority, queue, args, not runAt/);
  });

  it('says so for an unknown job, for arguments that are not JSON and for no change at all', async () => {
    const id = await withSpool((spool) => spool.schedule(report, { month: 1 }, { delay: '1h' }));
    const unknown = await runCli(['jobs', 'change', '01890a5d-ac96-774b-bcce-b302099a8057', '--priority', '1', '--storage', storage]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('[ERR_JOB_NOT_FOUND]');

    const badJson = await runCli(['jobs', 'change', id, '--args', '{month: 2}', '--storage', storage]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/--args is not valid JSON/);

    const nothing = await runCli(['jobs', 'change', id, '--storage', storage]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('give at least one of --at, --delay, --priority, --queue, --args');
    expect((await withSpool((spool) => spool.getJob(id)))!.args).toEqual({ month: 1 });
  });
});

describe('spool jobs run-now', () => {
  it('enqueues a scheduled job, says when it was enqueued already, and refuses a finished one', async () => {
    const id = await withSpool((spool) => spool.schedule(report, { month: 1 }, { delay: '1h' }));
    expect(await runJson(['jobs', 'run-now', id, '--storage', storage])).toEqual({ id, enqueued: true, moved: true });
    expect((await withSpool((spool) => spool.getJob(id)))!.state).toBe('enqueued');
    const again = await runCli(['jobs', 'run-now', id, '--storage', storage]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already enqueued; nothing changed');

    await withSpool((spool) => spool.delete(id));
    const refused = await runCli(['jobs', 'run-now', id, '--storage', storage]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\[ERR_JOB_NOT_WAITING\].*is deleted/);
    const missing = await runCli(['jobs', 'run-now', '01890a5d-ac96-774b-bcce-b302099a8057', '--storage', storage]);
    expect(missing.stderr).toContain('[ERR_JOB_NOT_FOUND]');
  });
});
