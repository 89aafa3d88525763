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
    expect(human.stdout).toMatch(/^ID\s+JOB\s+CRON\s+TIME ZONE\s+OVERLAP\s+NEXT RUN\s+LAST RUN\s+LAST JOB\s+LAST OUTCOME$/m);
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
    const { recurring } = await runJson<{ recurring: Array<{ occurrences: { next: string[]; previous: unknown[] } }> }>([
      'recurring', 'list', '--next', '3', '--previous', '2', '--storage', storage,
    ]);
    expect(recurring[0]!.occurrences.next).toHaveLength(3);
    // Nothing has fired yet: the previous occurrences are those the scheduler handled, not the cron's past.
    expect(recurring[0]!.occurrences.previous).toEqual([]);
    const human = await runCli(['recurring', 'list', '--next', '2', '--previous', '1', '--storage', storage]);
    expect(human.stdout).toMatch(/reports\.nightly: next runs\n {2}\d{4}-\d\d-\d\dT18:00:00\.000Z\n/);
    expect(human.stdout).toContain('reports.nightly: previous occurrences\n  none recorded\n');
  });

  it('shows an occurrence skipped because the previous run was unfinished, in the list and the history', async () => {
    const spool = new Spool({ storage });
    await spool.recurring.addOrUpdate('cache.warm', 'cache.warm', {}, { ...BY_NAME, cron: '0 * * * *', overlap: 'skip' });
    // Two scheduler firings, the second while the first run is still enqueued (no worker runs).
    for (let i = 0; i < 2; i++) {
      const record = (await spool.recurring.get('cache.warm'))!;
      await spool.recurring.fireDue(record, record.nextRunAt!);
    }
    const [fired] = (await spool.storage.monitoring.jobsList({ limit: 10 })).jobs;
    await spool.close();

    const { recurring } = await runJson<{ recurring: Array<{ id: string; lastOutcome: { event: string; jobId: string } | null; occurrences: { previous: Array<{ outcome: string; jobId: string; state: string }> } }> }>([
      'recurring', 'list', '--previous', '5', '--storage', storage,
    ]);
    const warm = recurring.find((r) => r.id === 'cache.warm')!;
    expect(warm.lastOutcome).toMatchObject({ event: 'skipped', jobId: fired!.id });
    expect(warm.occurrences.previous.map((p) => [p.outcome, p.jobId, p.state])).toEqual([
      ['skipped', fired!.id, 'enqueued'],
      ['fired', fired!.id, 'enqueued'],
    ]);
    expect(recurring.find((r) => r.id === 'reports.nightly')!.lastOutcome).toBeNull();

    const human = await runCli(['recurring', 'list', '--previous', '2', '--storage', storage]);
    expect(human.stdout).toMatch(/^cache\.warm\s.*\sskip\s.*\sskipped (just now|\d+s ago)$/m);
    expect(human.stdout).toMatch(new RegExp(`cache\\.warm: previous occurrences\\n {2}\\S+ {2}skipped {2}previous run ${fired!.id} was unfinished\\n {2}\\S+ {2}fired {4}job ${fired!.id} enqueued\\n`));

    const history = await runCli(['recurring', 'history', 'cache.warm', '--storage', storage]);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/^WHEN\s+EVENT\s+OCCURRENCE\s+JOB\s+REASON$/m);
    expect(history.stdout).toContain(`Skipped: the previous run ${fired!.id} is still enqueued (overlap policy 'skip')`);
    const json = await runJson<{ recurringId: string; history: Array<{ event: string }> }>(['recurring', 'history', 'cache.warm', '--limit', '1', '--storage', storage]);
    expect(json).toMatchObject({ recurringId: 'cache.warm', history: [{ event: 'skipped' }] });
    expect((await runCli(['recurring', 'history', 'reports.nightly', '--storage', storage])).stdout).toBe('no history for recurring job reports.nightly yet\n');
    expect((await runCli(['recurring', 'history', 'nope', '--storage', storage])).code).toBe(1);
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
