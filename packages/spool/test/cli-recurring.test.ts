import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from 'spool';

import { runCli, runJson, tempDir, BY_NAME } from './cli-harness.js';

let dir: string;
let remove: () => void;
let storage: string;

beforeEach(async () => {
  ({ dir, remove } = tempDir());
  storage = `sqlite:${join(dir, 'spool.db')}`;
  // Recurring jobs are created through the API, as an application does at boot.
  const spool = new Spool({ storage });
  await spool.recurring.addOrUpdate('reports.nightly', 'reports.build', { scope: 'all' }, { ...BY_NAME, cron: '0 2 * * *', timezone: 'Asia/Shanghai' });
  await spool.close();
});
afterEach(() => remove());

describe('spool recurring', () => {
  it('lists recurring jobs with their schedules', async () => {
    const { recurring } = await runJson<{ recurring: Array<{ id: string; name: string; cron: string; timezone: string; nextRunAt: string }> }>([
      'recurring',
      'list',
      '--storage',
      storage,
    ]);
    expect(recurring).toEqual([expect.objectContaining({ id: 'reports.nightly', name: 'reports.build', cron: '0 2 * * *', timezone: 'Asia/Shanghai' })]);
    expect(new Date(recurring[0]!.nextRunAt).getTime()).toBeGreaterThan(Date.now());

    const human = await runCli(['recurring', 'list', '--storage', storage]);
    expect(human.stdout).toMatch(/^ID\s+JOB\s+CRON\s+TIME ZONE\s+OVERLAP\s+NEXT RUN\s+LAST RUN\s+LAST JOB$/m);
    expect(human.stdout).toMatch(/^reports\.nightly\s+reports\.build\s+0 2 \* \* \*\s+Asia\/Shanghai\s+allow\s+in \d+[smhd]/m);
  });

  it('triggers a recurring job: one job is enqueued now and the schedule stays', async () => {
    const before = await runJson<{ recurring: Array<{ nextRunAt: string }> }>(['recurring', 'list', '--storage', storage]);
    const { jobId, recurringId } = await runJson<{ jobId: string; recurringId: string }>(['recurring', 'trigger', 'reports.nightly', '--storage', storage]);
    expect(recurringId).toBe('reports.nightly');

    const { job } = await runJson<{ job: { name: string; state: string; args: unknown; recurringId: string } }>(['jobs', 'get', jobId, '--storage', storage]);
    expect(job).toMatchObject({ name: 'reports.build', state: 'enqueued', args: { scope: 'all' }, recurringId: 'reports.nightly' });
    const after = await runJson<{ recurring: Array<{ nextRunAt: string; lastJobId: string }> }>(['recurring', 'list', '--storage', storage]);
    expect(after.recurring[0]!.nextRunAt).toBe(before.recurring[0]!.nextRunAt);
  });

  it('reports a recurring job that does not exist with ERR_RECURRING_NOT_FOUND', async () => {
    const run = await runCli(['recurring', 'trigger', 'nope', '--storage', storage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error [ERR_RECURRING_NOT_FOUND]: No recurring job with id "nope" exists.\n');
  });

  it('lists the next runs and previous occurrences of each recurring job', async () => {
    const { recurring } = await runJson<{ recurring: Array<{ occurrences: { next: string[]; previous: string[] } }> }>([
      'recurring', 'list', '--next', '3', '--previous', '2', '--storage', storage,
    ]);
    expect(recurring[0]!.occurrences.next).toHaveLength(3);
    expect(recurring[0]!.occurrences.previous).toHaveLength(2);
    const human = await runCli(['recurring', 'list', '--next', '2', '--storage', storage]);
    expect(human.stdout).toMatch(/reports\.nightly: next runs\n {2}\d{4}-\d\d-\d\dT18:00:00\.000Z\n/);
  });

  it('backfills a past range, each occurrence once', async () => {
    const first = await runJson<{ jobIds: string[]; refused: string[] }>(['recurring', 'backfill', 'reports.nightly', '--from', '2026-03-01', '--to', '2026-03-03T23:00:00Z', '--storage', storage]);
    expect(first.jobIds).toHaveLength(3);
    const again = await runJson<{ jobIds: string[]; refused: string[] }>(['recurring', 'backfill', 'reports.nightly', '--from', '2026-03-01', '--to', '2026-03-03T23:00:00Z', '--storage', storage]);
    expect(again).toMatchObject({ jobIds: [], refused: ['2026-03-01T18:00:00.000Z', '2026-03-02T18:00:00.000Z', '2026-03-03T18:00:00.000Z'] });
    const usage = await runCli(['recurring', 'backfill', 'reports.nightly', '--storage', storage]);
    expect(usage.code).toBe(2);
  });
});
