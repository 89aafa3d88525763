import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { Storage } from '@spool/core';
import { Spool, defineJob } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';
import { RedisStorage } from '@spool/redis';
import { SqliteStorage } from '@spool/sqlite';

import { POSTGRES_URL, REDIS_URL, dropPostgresSchema, dropRedisPrefix, servicesAvailable } from '../faults/services.js';

// The 'cancel' overlap policy against a handler that is still running: a real server runs a handler
// that only stops when its signal aborts; a recurring job every second with overlap 'cancel' starts
// the next occurrence while it runs. Each occurrence's start deletes the previous run, whose handler
// sees its signal abort with ERR_JOB_CANCELLED; the deleted runs' histories and the recurring job's
// history say which occurrence cancelled which run; the last run, released, succeeds.

const networked = await servicesAvailable();

interface Target {
  name: string;
  open(): Storage;
  cleanUp(): Promise<void>;
}

function sqlite(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'spool-cancel-'));
  return {
    name: 'sqlite',
    open: () => new SqliteStorage({ path: join(dir, 'spool.db') }),
    cleanUp: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgres(): Target {
  const schema = `spool_cancel_${randomBytes(5).toString('hex')}`;
  return { name: 'postgres', open: () => new PostgresStorage({ connectionString: POSTGRES_URL, schema }), cleanUp: () => dropPostgresSchema(schema) };
}

function redis(): Target {
  const prefix = `spool-cancel-${randomBytes(5).toString('hex')}`;
  return { name: 'redis', open: () => new RedisStorage({ url: REDIS_URL, prefix }), cleanUp: () => dropRedisPrefix(prefix) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(check: () => T | null | undefined | false | Promise<T | null | undefined | false>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** What one run of the handler saw. */
interface Run {
  jobId: string;
  occurrence: string;
  startedAt: number;
  aborted: { at: number; code: unknown; message: string } | null;
  returned: boolean;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const targets: Array<{ name: string; make: () => Target; skip: boolean }> = [
  { name: 'sqlite', make: sqlite, skip: false },
  { name: 'postgres', make: postgres, skip: !networked },
  { name: 'redis', make: redis, skip: !networked },
];

describe.each(targets)("overlap 'cancel' on $name, against a handler still running", ({ make, skip }) => {
  it.skipIf(skip)('aborts the running handler when the next occurrence starts, and records both sides', async () => {
    const target = make();
    cleanups.push(() => target.cleanUp());
    const runs: Run[] = [];
    let release = false;
    const long = defineJob('reports.long', async (_args: null, ctx) => {
      const run: Run = { jobId: ctx.id, occurrence: '', startedAt: Date.now(), aborted: null, returned: false };
      runs.push(run);
      run.occurrence = String(await ctx.getParameter<string>('recurringOccurrence'));
      // Runs until told to stop: by its signal (the next occurrence cancels it) or by the test.
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          const reason = ctx.signal.reason as { code?: unknown; message?: string } | undefined;
          run.aborted = { at: Date.now(), code: reason?.code, message: String(reason?.message) };
          resolve();
        };
        if (ctx.signal.aborted) onAbort();
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        const poll = setInterval(() => {
          if (release && !run.aborted) {
            clearInterval(poll);
            resolve();
          }
        }, 10);
        ctx.signal.addEventListener('abort', () => clearInterval(poll), { once: true });
      });
      run.returned = true;
      if (run.aborted) throw new Error('stopped by its signal');
      return 'finished';
    });
    const spool = new Spool({ storage: target.open(), jobs: [long] });
    cleanups.push(() => spool.close());
    await spool.recurring.addOrUpdate('reports.long', long, null, { cron: '* * * * * *', overlap: 'cancel' });
    const server = await spool.startServer({ handleSignals: false, concurrency: 4, pollInterval: 50, recurringPollInterval: 100, shutdownTimeout: 5_000 });
    cleanups.push(() => server.stop());

    // Three cancellations: four runs started, the first three aborted by the next occurrence.
    await until(() => runs.filter((r) => r.aborted).length >= 3 && runs.length >= 4, 'three runs cancelled by the next occurrence');
    await spool.recurring.pause('reports.long');
    const last = await until(async () => {
      const record = await spool.recurring.get('reports.long');
      const newest = runs.at(-1);
      // The newest run is the recurring job's last job and still running: nothing will cancel it now.
      return newest && record?.lastJobId === newest.jobId && !newest.aborted ? newest : null;
    }, 'the last run to be the running one');
    release = true;
    await until(async () => (await spool.getJob(last.jobId))?.state === 'succeeded', 'the released run to succeed');
    await server.stop();

    // Every run but the last was aborted by its signal, with ERR_JOB_CANCELLED, and none ran to its end.
    const cancelled = runs.filter((r) => r.jobId !== last.jobId);
    expect(cancelled.length).toBeGreaterThanOrEqual(3);
    for (const run of cancelled) {
      expect(run.aborted).toMatchObject({ code: 'ERR_JOB_CANCELLED', message: 'The job was moved to deleted while it ran.' });
      expect(run.returned).toBe(true);
    }
    expect(last.aborted).toBeNull();
    // Each occurrence ran once.
    expect(new Set(runs.map((r) => r.occurrence)).size).toBe(runs.length);

    // The deleted runs: processing, then deleted by the occurrence that came after them.
    const history = await spool.recurring.history('reports.long', { limit: 100 });
    for (const run of cancelled) {
      const details = await spool.storage.monitoring.jobDetails({ id: run.jobId });
      expect(details!.job.state).toBe('deleted');
      const states = details!.history.map((h) => h.state);
      expect(states.slice(-2)).toEqual(['processing', 'deleted']);
      const deletion = details!.history.at(-1)!;
      expect(deletion.reason).toMatch(/^Cancelled by recurring job reports\.long: its occurrence of (\S+) starts$/);
      const by = /occurrence of (\S+) starts/.exec(deletion.reason)![1]!;
      expect(Date.parse(by)).toBeGreaterThan(Date.parse(run.occurrence));
      // The occurrence that cancelled it says so in the recurring job's history, naming this run.
      const firing = history.find((e) => e.event === 'fired' && e.occurrence?.toISOString() === by);
      expect(firing?.reason).toContain(`cancelling the previous run ${run.jobId} (it was processing)`);
      // The handler's own outcome came after the deletion and changed nothing.
      expect(details!.job.error).toBeNull();
    }
    const final = await spool.storage.monitoring.jobDetails({ id: last.jobId });
    expect(final!.job).toMatchObject({ state: 'succeeded', result: 'finished' });
    expect(history.filter((e) => e.event === 'fired').map((e) => e.jobId)).toEqual(expect.arrayContaining(runs.map((r) => r.jobId)));
  });
});
