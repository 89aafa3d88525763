import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import type { ManualClock, StorageEvent } from '@spool/core';
import { Spool, defineJob } from '@spool/core';
import { MIGRATIONS, SqliteStorage } from '@spool/sqlite';

import { newJob, removeTempDirs, tempDbPath, waitFor } from './helpers.js';

const run = promisify(execFile);
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const open: Array<{ close(): Promise<void> }> = [];

/** A storage that the test closes afterwards. */
function storageAt(path: string, options: { busyTimeout?: number | string; migrate?: boolean } = {}, clock?: ManualClock): SqliteStorage {
  const storage = new SqliteStorage({ path, ...options }, clock ? { clock } : {});
  open.push(storage);
  return storage;
}

afterEach(async () => {
  for (const handle of open.splice(0).reverse()) await handle.close();
  removeTempDirs();
});

describe('the SQLite storage', () => {
  describe('options', () => {
    it('rejects unknown options with a suggestion', () => {
      expect(() => new SqliteStorage({ path: ':memory:', busytimeout: 10 } as never)).toThrow(/busytimeout.*did you mean "busyTimeout"/s);
    });

    it('accepts the busy timeout as a duration string', () => {
      expect(new SqliteStorage({ path: ':memory:', busyTimeout: '2s' }).options.busyTimeout).toBe(2000);
    });

    it('says it is durable on a file and not in memory', () => {
      expect(new SqliteStorage({ path: ':memory:' }).capabilities).toEqual({ multiProcess: true, notifications: 'local', externalTransactions: false, durable: false, flowControl: true, waitingChanges: true, replaceDuplicates: true, deadLetters: true, batches: true, handover: false });
      expect(new SqliteStorage({ path: tempDbPath() }).capabilities.durable).toBe(true);
    });
  });

  describe('opening and migrations', () => {
    it('creates the parent directory of the database file', async () => {
      const path = join(dirname(tempDbPath()), 'nested', 'deeper', 'spool.db');
      await storageAt(path).init();
      expect(existsSync(path)).toBe(true);
    });

    it('uses WAL mode', async () => {
      const path = tempDbPath();
      await storageAt(path).init();
      const db = new Database(path, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    });

    it('applies each migration once when several instances start at the same time', async () => {
      const path = tempDbPath();
      const instances = Array.from({ length: 4 }, () => storageAt(path));
      await Promise.all(instances.map((s) => s.init()));
      expect(await instances[0]!.migrate()).toEqual({ applied: [] });
      const db = new Database(path, { readonly: true });
      const versions = db.prepare('SELECT version FROM spool_migrations ORDER BY version').pluck().all();
      db.close();
      expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    });

    it('applies each migration once when several processes start at the same time', async () => {
      const path = tempDbPath();
      await Promise.all([1, 2, 3].map((n) => run(process.execPath, [join(fixtures, 'enqueue-process.mjs'), path, `p${n}`, '1', '1'])));
      const db = new Database(path, { readonly: true });
      expect(db.prepare('SELECT count(*) FROM spool_migrations').pluck().get()).toBe(MIGRATIONS.length);
      expect(db.prepare('SELECT count(*) FROM spool_jobs').pluck().get()).toBe(3);
      db.close();
    });

    it('refuses to work on an unmigrated database when told not to migrate, until migrate() is called', async () => {
      const storage = storageAt(tempDbPath(), { migrate: false });
      await expect(storage.init()).rejects.toMatchObject({ code: 'ERR_STORAGE', message: expect.stringMatching(/needs migrations 1/) });
      expect(await storage.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version) });
      await storage.init();
      expect((await storage.jobsCreate({ jobs: [newJob()] })).jobs[0]!.created).toBe(true);
    });
  });

  describe('durability', () => {
    it('keeps jobs, history and counts across a close and a reopen', async () => {
      const path = tempDbPath();
      const first = storageAt(path);
      const [a, b] = [newJob({ args: { n: 1 } }), newJob({ args: { n: 2 } })];
      await first.jobsCreate({ jobs: [a, b] });
      const [fetched] = await first.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 's1', leaseMs: 30_000 });
      await first.jobsComplete({ serverId: 's1', completions: [{ id: fetched!.id, leaseToken: fetched!.leaseToken, outcome: { state: 'succeeded', result: { ok: true }, reason: 'done' } }] });
      await first.close();

      const second = storageAt(path);
      const details = await second.monitoring.jobDetails({ id: a.id });
      expect(details!.job).toMatchObject({ state: 'succeeded', args: { n: 1 }, result: { ok: true }, attempt: 1 });
      expect(details!.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'succeeded']);
      expect((await second.monitoring.stats()).states).toMatchObject({ enqueued: 1, succeeded: 1, processing: 0 });
      const [next] = await second.jobsFetch({ queues: ['default'], names: null, limit: 10, serverId: 's2', leaseMs: 30_000 });
      expect(next!.id).toBe(b.id);
    });
  });

  describe('several connections', () => {
    it('delivers each job once to two connections fetching and completing at the same time', async () => {
      const path = tempDbPath();
      const [one, two] = [storageAt(path), storageAt(path)];
      const jobs = Array.from({ length: 600 }, (_, n) => newJob({ args: { n } }));
      await one.jobsCreate({ jobs });
      const seen = new Map<string, string>();
      const duplicates: string[] = [];
      await Promise.all(
        [one, two].map(async (storage, index) => {
          const serverId = `server-${index}`;
          for (;;) {
            const fetched = await storage.jobsFetch({ queues: ['default'], names: null, limit: 7, serverId, leaseMs: 60_000 });
            if (fetched.length === 0) return;
            for (const job of fetched) {
              if (seen.has(job.id)) duplicates.push(job.id);
              seen.set(job.id, serverId);
            }
            await storage.jobsComplete({
              serverId,
              completions: fetched.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'done' } })),
            });
          }
        }),
      );
      expect(duplicates).toEqual([]);
      expect(seen.size).toBe(600);
      expect((await two.monitoring.stats()).states).toMatchObject({ enqueued: 0, processing: 0, succeeded: 600 });
    });

    it('delivers each job once to processes draining one file while other processes enqueue into it', async () => {
      const path = tempDbPath();
      await storageAt(path).init();
      const enqueuers = ['a', 'b'].map((tag) => run(process.execPath, [join(fixtures, 'enqueue-process.mjs'), path, tag, '20', '25']));
      await Promise.all(enqueuers);
      const drainers = ['d1', 'd2', 'd3'].map((id) => run(process.execPath, [join(fixtures, 'drain-process.mjs'), path, id]));
      const outputs = await Promise.all(drainers);
      const ids = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
      expect(ids).toHaveLength(1000);
      expect(new Set(ids).size).toBe(1000);
      const db = new Database(path, { readonly: true });
      expect(db.prepare("SELECT count(*) FROM spool_jobs WHERE state = 'succeeded'").pluck().get()).toBe(1000);
      db.close();
    });

    it('waits for a lock held by another connection without blocking the event loop, then writes', async () => {
      const path = tempDbPath();
      const storage = storageAt(path, { busyTimeout: '10s' });
      await storage.init();
      const holder = new Database(path);
      holder.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const write = storage.jobsCreate({ jobs: [newJob()] });
      await waitFor(() => ticks >= 5, 'timers to run while the write waits for the lock');
      holder.exec('COMMIT');
      holder.close();
      clearInterval(ticker);
      expect((await write).jobs[0]!.created).toBe(true);
    });

    it('fails with a retryable storage error when the lock stays held past the busy timeout', async () => {
      const path = tempDbPath();
      const storage = storageAt(path, { busyTimeout: 100 });
      await storage.init();
      const holder = new Database(path);
      holder.exec('BEGIN IMMEDIATE');
      try {
        await expect(storage.jobsCreate({ jobs: [newJob()] })).rejects.toMatchObject({ code: 'ERR_STORAGE', retryable: true });
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      expect((await storage.monitoring.stats()).states.enqueued).toBe(0);
    });

    it('wakes subscribers when another connection commits jobs', async () => {
      const path = tempDbPath();
      const [listener, writer] = [storageAt(path), storageAt(path)];
      await Promise.all([listener.init(), writer.init()]);
      const events: StorageEvent[] = [];
      listener.subscribe((event) => events.push(event));
      await writer.jobsCreate({ jobs: [newJob({ queue: 'mail' })] });
      await waitFor(() => events.some((e) => e.type === 'jobs-enqueued' && e.queues.includes('mail')), 'a wake-up for the mail queue');
    });
  });

  describe('errors', () => {
    it('fails every call after close with ERR_STORAGE_CLOSED', async () => {
      const storage = storageAt(tempDbPath());
      await storage.init();
      await storage.close();
      await expect(storage.jobsCreate({ jobs: [newJob()] })).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
      await expect(storage.jobGet({ id: 'x' })).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
      await expect(storage.monitoring.stats()).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    });

    it('translates driver errors into non-retryable storage errors and writes nothing', async () => {
      const storage = storageAt(tempDbPath());
      const job = newJob();
      await storage.jobsCreate({ jobs: [job] });
      const again = [newJob(), { ...job }];
      const error = await storage.jobsCreate({ jobs: again }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: false, name: 'StorageError' });
      expect(await storage.jobGet({ id: again[0]!.id })).toBeNull();
    });

    it('names the column that holds invalid JSON in decodeError', async () => {
      const path = tempDbPath();
      const storage = storageAt(path);
      const job = newJob({ parameters: { tenant: 't1' } });
      await storage.jobsCreate({ jobs: [job] });
      const db = new Database(path);
      db.prepare('UPDATE spool_jobs SET parameters = ? WHERE id = ?').run('{"tenant":', job.id);
      db.close();
      const [fetched] = await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 's', leaseMs: 1000 });
      expect(fetched!.decodeError).toMatch(/column "parameters"/);
      expect(fetched!.args).toEqual({});
    });
  });

  describe('with the engine', () => {
    it('runs jobs end to end through a server: results, retries and continuations', async () => {
      let failures = 0;
      const double = defineJob('double', (args: { n: number }) => args.n * 2);
      const flaky = defineJob(
        'flaky',
        () => {
          if (failures++ < 1) throw new Error('first try fails');
          return 'ok';
        },
        { backoff: { type: 'fixed', delay: 10 } },
      );
      const spool = new Spool({ storage: storageAt(tempDbPath()), jobs: [double, flaky] });
      open.push(spool);
      const ids = await spool.enqueueMany(double, Array.from({ length: 50 }, (_, n) => ({ n })));
      const flakyId = await spool.enqueue(flaky, null);
      const child = await spool.continueWith(ids[0]!, double, { n: 100 });
      await spool.startServer({ pollInterval: 20, handleSignals: false, concurrency: 5 });
      await waitFor(async () => (await spool.stats()).states.succeeded === 52, 'every job to succeed');
      expect((await spool.getJob(ids[7]!))!.result).toBe(14);
      const retried = (await spool.getJob(flakyId))!;
      expect(retried.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'scheduled', 'enqueued', 'processing', 'succeeded']);
      expect((await spool.getJob(child))!.result).toBe(200);
    });
  });

  describe('monitoring', () => {
    it('searches names and arguments ignoring ASCII case and takes % and _ literally', async () => {
      const storage = storageAt(tempDbPath());
      await storage.init();
      const jobs = [
        newJob({ name: 'Reports.Build', args: { note: 'plain' } }),
        newJob({ args: { note: '100% done' } }),
        newJob({ args: { note: '100 percent done' } }),
        newJob({ args: { file: 'a_b.csv' } }),
        newJob({ args: { file: 'axb.csv' } }),
        newJob({ args: { path: 'C:\\temp' } }),
      ];
      await storage.jobsCreate({ jobs });
      const names = async (search: string) => (await storage.monitoring.jobsList({ limit: 10, search })).jobs.map((j) => j.id);
      expect(await names('reports.BUILD')).toEqual([jobs[0]!.id]);
      expect(await names('100%')).toEqual([jobs[1]!.id]);
      expect(await names('a_b')).toEqual([jobs[3]!.id]);
      expect(await names('C:\\')).toEqual([jobs[5]!.id]);
      expect(await names(jobs[4]!.id)).toEqual([jobs[4]!.id]);
    });
  });
});
