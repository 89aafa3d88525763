import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineJob, Spool } from 'spool';

import { runCli, runJson, startCli, tempDir, BY_NAME } from './cli-harness.js';

let dir: string;
let remove: () => void;
let storage: string;

/** Two failed `mail.send` jobs, one failed `reports.build`, one enqueued `reports.build`. */
async function seed(): Promise<{ failedMail: string[]; failedReport: string; enqueued: string }> {
  const mail = defineJob('mail.send', () => {
    throw new Error('SMTP refused');
  }, { attempts: 1 });
  const report = defineJob('reports.build', () => {
    throw new Error('no data');
  }, { attempts: 1 });
  const spool = new Spool({ storage, jobs: [mail, report] });
  const failedMail = await spool.enqueueMany(mail, [{ to: 'a' }, { to: 'b' }]);
  const failedReport = await spool.enqueue(report, { month: 1 });
  for (const id of [...failedMail, failedReport]) await spool.perform(id).catch(() => undefined);
  const enqueued = await spool.enqueue(report, { month: 2 });
  await spool.close();
  return { failedMail, failedReport, enqueued };
}

async function stateOf(id: string): Promise<string | undefined> {
  const spool = new Spool({ storage });
  try {
    return (await spool.getJob(id))?.state;
  } finally {
    await spool.close();
  }
}

interface ActionReport {
  action: string;
  dryRun: boolean;
  matched: number;
  changed: number;
  wouldChange: number;
  skipped: number;
  notFound: number;
  more: boolean;
  jobs: Array<{ id: string; name: string | null; state: string | null; outcome: string }>;
}

beforeEach(() => {
  ({ dir, remove } = tempDir());
  storage = `sqlite:${join(dir, 'spool.db')}`;
});
afterEach(() => remove());

describe('spool jobs retry|requeue|delete', () => {
  it('retries a failed job by id, and fails for a job that is not failed', async () => {
    const { failedReport, enqueued } = await seed();
    const retried = await runJson<ActionReport>(['jobs', 'retry', failedReport, '--storage', storage]);
    expect(retried).toMatchObject({ action: 'retry', changed: 1, skipped: 0 });
    expect(await stateOf(failedReport)).toBe('enqueued');

    const again = await runCli(['jobs', 'retry', enqueued, 'no-such-id', '--storage', storage]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/retried 0 jobs; 1 skipped: not failed; 1 not found/);
  });

  it('shows what a filter would change with --dry-run, then changes exactly that', async () => {
    const { failedMail, failedReport } = await seed();
    const dry = await runJson<ActionReport>(['jobs', 'delete', '--state', 'failed', '--name', 'mail.send', '--dry-run', '--storage', storage]);
    expect(dry).toMatchObject({ dryRun: true, matched: 2, wouldChange: 2, changed: 0 });
    expect(dry.jobs.map((j) => j.id).sort()).toEqual([...failedMail].sort());
    expect(await stateOf(failedMail[0]!)).toBe('failed');

    const done = await runJson<ActionReport>(['jobs', 'delete', '--state', 'failed', '--name', 'mail.send', '--storage', storage]);
    expect(done).toMatchObject({ dryRun: false, changed: 2, more: false });
    expect(await stateOf(failedMail[1]!)).toBe('deleted');
    expect(await stateOf(failedReport)).toBe('failed');
  });

  it('acts on at most --limit jobs and says that more match', async () => {
    await seed();
    const run = await runCli(['jobs', 'requeue', '--state', 'failed', '--limit', '1', '--storage', storage]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('requeued 1 jobs');
    expect(run.stdout).toContain('more jobs match: run again, or raise --limit (1)');
  });

  it('retries by filter only failed jobs', async () => {
    const { failedMail, failedReport, enqueued } = await seed();
    const report = await runJson<ActionReport>(['jobs', 'retry', '--queue', 'default', '--storage', storage]);
    expect(report.changed).toBe(3);
    expect(report.jobs.map((j) => j.id)).not.toContain(enqueued);
    for (const id of [...failedMail, failedReport]) expect(await stateOf(id)).toBe('enqueued');
    const wrong = await runCli(['jobs', 'retry', '--state', 'succeeded', '--storage', storage]);
    expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringContaining('only failed jobs can be retried')]);
  });

  it('refuses to act without ids or a filter', async () => {
    await seed();
    const run = await runCli(['jobs', 'delete', '--storage', storage]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give job ids, or a filter');
  });
});

describe('spool queues', () => {
  it('pauses and resumes queues', async () => {
    await seed();
    expect(await runJson(['queues', 'pause', 'default', 'emails', '--storage', storage])).toEqual({ queues: ['default', 'emails'], paused: true });
    const { queues } = await runJson<{ queues: Array<{ name: string; paused: boolean }> }>(['queues', 'list', '--storage', storage]);
    expect(queues.filter((q) => q.paused).map((q) => q.name).sort()).toEqual(['default', 'emails']);
    await runJson(['queues', 'resume', 'emails', '--storage', storage]);
    const after = await runJson<{ queues: Array<{ name: string; paused: boolean }> }>(['queues', 'list', '--storage', storage]);
    expect(after.queues.find((q) => q.name === 'default')?.paused).toBe(true);
    expect(after.queues.find((q) => q.name === 'emails')?.paused ?? false).toBe(false);
  });
});

describe('spool recurring pause|resume|remove', () => {
  it('pauses, resumes and removes a recurring job', async () => {
    const spool = new Spool({ storage });
    await spool.recurring.addOrUpdate('reports.nightly', 'reports.build', null, { ...BY_NAME, cron: '0 2 * * *' });
    await spool.close();
    expect(await runJson(['recurring', 'pause', 'reports.nightly', '--storage', storage])).toMatchObject({ id: 'reports.nightly', paused: true, nextRunAt: null });
    const resumed = await runJson<{ paused: boolean; nextRunAt: string }>(['recurring', 'resume', 'reports.nightly', '--storage', storage]);
    expect(resumed.paused).toBe(false);
    expect(new Date(resumed.nextRunAt).getTime()).toBeGreaterThan(Date.now());
    expect(await runJson(['recurring', 'remove', 'reports.nightly', '--storage', storage])).toEqual({ id: 'reports.nightly', removed: true });
    const missing = await runCli(['recurring', 'remove', 'reports.nightly', '--storage', storage]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('ERR_RECURRING_NOT_FOUND')]);
  });
});

describe('spool limits list|set|clear', () => {
  it("stores an operator's limits over the code's, lists both, and clears back to the code's", async () => {
    const exportPdf = defineJob('documents.export', () => undefined, { limits: { concurrency: 2, key: (a: { customer: string }) => a.customer, perKey: { concurrency: 1 } } });
    const spool = new Spool({ storage, jobs: [exportPdf] });
    const server = await spool.startServer({ concurrency: 1 });
    await server.stop();
    await spool.close();
    const set = await runJson<{ limits: { source: string; inForce: { concurrency: number; rate: { limit: number; perMs: number } } } }>(
      ['limits', 'set', 'job:documents.export', '--concurrency', '4', '--rate', '100/1m', '--by', 'alice', '--storage', storage],
    );
    expect(set.limits).toMatchObject({ source: 'operator', inForce: { concurrency: 4, rate: { limit: 100, perMs: 60_000 } } });
    const listed = await runCli(['limits', 'list', '--storage', storage]);
    expect(listed.stdout).toMatch(/job:documents\.export\s+at most 4 at once, 100 per 1m\s+operator \(alice\)/);
    const cleared = await runJson<{ limits: { source: string; inForce: { concurrency: number } } }>(['limits', 'clear', 'job:documents.export', '--storage', storage]);
    expect(cleared.limits).toMatchObject({ source: 'code', inForce: { concurrency: 2 } });
  });

  it("bounds a queue with --max-size, lists the bound, and refuses one on a job name", async () => {
    await runCli(['migrate', '--storage', storage]);
    const set = await runJson<{ limits: { source: string; inForce: { maxSize: number } } }>(['limits', 'set', 'queue:exports', '--max-size', '2', '--storage', storage]);
    expect(set.limits).toMatchObject({ source: 'operator', inForce: { maxSize: 2 } });
    expect((await runCli(['limits', 'list', '--storage', storage])).stdout).toMatch(/queue:exports\s+at most 2 enqueued\s+operator \(cli\)/);
    const spool = new Spool({ storage });
    await spool.enqueueMany('documents.export', [{}, {}], { queue: 'exports', attempts: 1, timeout: null });
    await expect(spool.enqueue('documents.export', {}, { queue: 'exports', attempts: 1, timeout: null })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', bound: 2 });
    await spool.close();
    const job = await runCli(['limits', 'set', 'job:documents.export', '--max-size', '2', '--storage', storage]);
    expect([job.code, job.stderr]).toEqual([1, expect.stringContaining('bounds a queue, not a job name')]);
    await runCli(['limits', 'clear', 'queue:exports', '--storage', storage]);
  });

  it('refuses a scope or a rate it cannot read, naming what it expected', async () => {
    const scope = await runCli(['limits', 'set', 'mail', '--concurrency', '1', '--storage', storage]);
    expect([scope.code, scope.stderr]).toEqual([1, expect.stringContaining('queue:<name> or job:<name>')]);
    const rate = await runCli(['limits', 'set', 'queue:mail', '--rate', 'fast', '--storage', storage]);
    expect([rate.code, rate.stderr]).toEqual([1, expect.stringContaining('<count>/<window>')]);
    await runCli(['migrate', '--storage', storage]);
    const none = await runCli(['limits', 'set', 'queue:mail', '--storage', storage]);
    expect([none.code, none.stderr]).toEqual([1, expect.stringContaining('sets no limit')]);
  });
});

describe('--json', () => {
  it('prints exactly one JSON document for every command that ends by itself', async () => {
    const { failedReport } = await seed();
    const spool = new Spool({ storage });
    await spool.recurring.addOrUpdate('nightly', 'reports.build', null, { ...BY_NAME, cron: '0 2 * * *' });
    await spool.close();
    const commands = [
      ['stats'], ['jobs', 'list'], ['jobs', 'get', failedReport], ['jobs', 'retry', failedReport], ['jobs', 'delete', '--name', 'mail.send', '--dry-run'],
      ['queues', 'list'], ['queues', 'pause', 'q'], ['queues', 'resume', 'q'], ['recurring', 'list'], ['recurring', 'trigger', 'nightly'],
      ['recurring', 'pause', 'nightly'], ['recurring', 'resume', 'nightly'], ['recurring', 'remove', 'nightly'], ['enqueue', 'reports.build', '--args', '{}', '--queue', 'default', '--attempts', '3', '--timeout', 'none'],
      ['migrate'], ['metrics'], ['limits', 'set', 'queue:q', '--concurrency', '2'], ['limits', 'list'], ['limits', 'clear', 'queue:q'],
    ];
    for (const command of commands) {
      const run = await runCli([...command, '--storage', storage, '--json']);
      expect(run.code, command.join(' ')).toBe(0);
      expect(() => JSON.parse(run.stdout), `${command.join(' ')}: ${run.stdout}`).not.toThrow();
    }
  });

  it('makes spool dashboard print its URL as one JSON document once it listens', async () => {
    await seed();
    const { child, done } = startCli(['dashboard', '--storage', storage, '--port', '0', '--json']);
    let stdout = '';
    const document = await new Promise<{ url: string; readOnly: boolean }>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        stdout += chunk;
        try {
          resolve(JSON.parse(stdout) as { url: string; readOnly: boolean });
        } catch {
          // Not complete yet.
        }
      });
      child.once('close', () => reject(new Error(`the dashboard exited early: ${stdout}`)));
    });
    expect(document.readOnly).toBe(false);
    expect((await fetch(document.url)).status).toBe(200);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });
});

describe('colours', () => {
  it('colour tables only when asked to or on a terminal, and never with NO_COLOR', async () => {
    const { failedReport } = await seed();
    const args = ['jobs', 'retry', failedReport, '--dry-run', '--storage', storage];
    const escape = '\u001b[';
    expect((await runCli(args)).stdout).not.toContain(escape);
    expect((await runCli(args, { env: { FORCE_COLOR: '1' } })).stdout).toContain(escape);
    expect((await runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toContain(escape);
  });
});
