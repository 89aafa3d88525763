import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineJob, Spool } from 'spool';

import { runCli, runJson, tempDir } from './cli-harness.js';

let dir: string;
let remove: () => void;
let storage: string;

/** Three dead `payments.charge` jobs (two TypeError, one RangeError) and a plain failed `payments.refund`. */
async function seed(): Promise<{ dead: string[]; plain: string }> {
  const charge = defineJob('payments.charge', (args: { card: string; kind?: string }) => {
    if (args.kind === 'range') throw new RangeError('amount out of range');
    throw new TypeError(`card ${args.card} expired`);
  }, { attempts: 1, onExhausted: 'dead-letter' });
  const refund = defineJob('payments.refund', () => {
    throw new Error('refused');
  }, { attempts: 1 });
  const spool = new Spool({ storage, jobs: [charge, refund] });
  const dead = await spool.enqueueMany(charge, [{ card: 'a' }, { card: 'b' }, { card: 'c', kind: 'range' }]);
  const plain = await spool.enqueue(refund, {});
  for (const id of [...dead, plain]) await spool.perform(id);
  await spool.close();
  return { dead, plain };
}

async function jobOf(id: string) {
  const spool = new Spool({ storage });
  try {
    return await spool.getJob(id);
  } finally {
    await spool.close();
  }
}

beforeEach(() => {
  ({ dir, remove } = tempDir());
  storage = `sqlite:${join(dir, 'spool.db')}`;
});
afterEach(() => remove());

describe('spool dead-letters', () => {
  it('counts dead letters by job name and error, and lists them by filter', async () => {
    const { dead, plain } = await seed();
    const { groups } = await runJson<{ groups: Array<{ name: string; errorName: string; count: number }> }>(['dead-letters', 'groups', '--storage', storage]);
    expect(groups.map((g) => [g.name, g.errorName, g.count])).toEqual([
      ['payments.charge', 'TypeError', 2],
      ['payments.charge', 'RangeError', 1],
    ]);
    const listed = await runJson<{ jobs: Array<{ id: string }>; more: boolean }>(['dead-letters', 'list', '--error-name', 'TypeError', '--storage', storage]);
    expect(listed.jobs.map((j) => j.id).sort()).toEqual([dead[0], dead[1]].sort());
    expect(listed.jobs.map((j) => j.id)).not.toContain(plain);
    const byMessage = await runJson<{ jobs: Array<{ id: string }> }>(['dead-letters', 'list', '--message', 'card b', '--storage', storage]);
    expect(byMessage.jobs.map((j) => j.id)).toEqual([dead[1]]);
    const human = await runCli(['dead-letters', 'list', '--storage', storage]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('RangeError');
    expect(human.stdout).toContain('amount out of range');
  });

  it('redrives one job with edited arguments, keeping the originals in its history', async () => {
    const { dead } = await seed();
    const report = await runJson(['dead-letters', 'redrive', dead[0]!, '--args', '{"card":"z"}', '--storage', storage]);
    expect(report).toEqual({ redriven: 1, skipped: [] });
    const job = (await jobOf(dead[0]!))!;
    expect(job).toMatchObject({ state: 'enqueued', args: { card: 'z' }, deadLetteredAt: null });
    expect(job.history.at(-1)).toMatchObject({ state: 'enqueued', data: { redrive: true, originalArgs: { card: 'a' } } });
    // Again: no longer a dead letter, so it is skipped, and a script sees it in the exit code.
    const again = await runCli(['dead-letters', 'redrive', dead[0]!, '--storage', storage, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({ redriven: 0, skipped: [{ id: dead[0], state: 'enqueued' }] });
  });

  it('redrives every dead letter matching a filter, and leaves the others', async () => {
    const { dead, plain } = await seed();
    const report = await runJson(['dead-letters', 'redrive', '--all', '--name', 'payments.charge', '--error-name', 'TypeError', '--storage', storage]);
    expect(report).toEqual({ redriven: 2, skipped: [] });
    expect((await jobOf(dead[0]!))!.state).toBe('enqueued');
    expect((await jobOf(dead[1]!))!.state).toBe('enqueued');
    expect((await jobOf(dead[2]!))!.state).toBe('failed');
    expect((await jobOf(plain))!.state).toBe('failed');
  });

  it('refuses arguments that are not JSON, a filter without --all, and a bad time, changing nothing', async () => {
    const { dead } = await seed();
    const badArgs = await runCli(['dead-letters', 'redrive', dead[0]!, '--args', '{card:', '--storage', storage]);
    expect(badArgs.code).not.toBe(0);
    expect(badArgs.stderr).toContain('--args expects JSON');
    const noAll = await runCli(['dead-letters', 'redrive', dead[0]!, '--name', 'payments.charge', '--storage', storage]);
    expect(noAll.stderr).toContain('needs --all');
    const badTime = await runCli(['dead-letters', 'list', '--since', 'yesterday-ish', '--storage', storage]);
    expect(badTime.stderr).toContain('--since expects a time');
    expect((await jobOf(dead[0]!))!.state).toBe('failed');
  });
});
