import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool, defineJob } from '@spool/core';
import type { StorageEvent } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

import { newJob, removeTempDirs, tempDbPath } from './helpers.js';

const send = defineJob('orders.confirm', (args: { order: number }) => args.order);

let path: string;
let spool: Spool;
let storage: SqliteStorage;
// The application's own connection to the same file, with its own table beside Spool's.
let app: Database.Database;

beforeAll(async () => {
  path = tempDbPath('app.db');
  storage = new SqliteStorage({ path });
  spool = new Spool({ storage, jobs: [send] });
  await spool.init();
  app = new Database(path, { timeout: 5000 });
  app.pragma('journal_mode = WAL');
  app.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)');
});

afterAll(async () => {
  app.close();
  await spool.close();
  removeTempDirs();
});

function orderCount(id: number): number {
  return app.prepare('SELECT COUNT(*) FROM orders WHERE id = ?').pluck().get(id) as number;
}

/** A storage on the file (as another process would have), watching it, and its first jobs-enqueued event. */
async function enqueuedElsewhere(): Promise<{ arrived: Promise<StorageEvent>; stop: () => Promise<void> }> {
  const other = new SqliteStorage({ path });
  let unsubscribe = (): void => undefined;
  const arrived = new Promise<StorageEvent>((resolve) => {
    unsubscribe = other.subscribe((event) => {
      if (event.type === 'jobs-enqueued') resolve(event);
    });
  });
  // Opening starts its watcher, which takes note of the file's version now: only later commits count.
  await other.init();
  return {
    arrived,
    stop: async () => {
      unsubscribe();
      await other.close();
    },
  };
}

async function expectRefused(transaction: unknown, message: RegExp): Promise<void> {
  const error = await spool.enqueue(send, { order: 0 }, { transaction }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'ERR_CONFIG', problems: [{ path: 'enqueue options.transaction' }] });
  expect((error as Error).message).toMatch(message);
}

describe('enqueue inside the application’s SQLite transaction', () => {
  it('declares the capability on a file, and not on :memory: (no second connection can share it)', () => {
    expect(storage.capabilities.externalTransactions).toBe(true);
    expect(new SqliteStorage({ path: ':memory:' }).capabilities.externalTransactions).toBe(false);
  });

  it('leaves no job, and no count of one, when the transaction rolls back', async () => {
    const before = await storage.monitoring.stats();
    const queuesBefore = await storage.monitoring.queues();
    app.exec('BEGIN IMMEDIATE');
    app.prepare('INSERT INTO orders (id) VALUES (1)').run();
    const id = await spool.enqueue(send, { order: 1 }, { transaction: app });
    // Inside the transaction, the application sees its job; nobody else does before the commit.
    expect(app.prepare('SELECT state FROM spool_jobs WHERE id = ?').pluck().get(id)).toBe('enqueued');
    expect(await spool.getJob(id)).toBeNull();
    app.exec('ROLLBACK');
    expect(await spool.getJob(id)).toBeNull();
    expect(orderCount(1)).toBe(0);
    const after = await storage.monitoring.stats();
    expect(after.states.enqueued).toBe(before.states.enqueued);
    expect(await storage.monitoring.queues()).toEqual(queuesBefore);
  });

  it('makes a committed job visible at the commit, and wakes this storage and one of another connection', async () => {
    const elsewhere = await enqueuedElsewhere();
    const here = new Promise<StorageEvent>((resolve) => {
      const stop = storage.subscribe((event) => {
        if (event.type !== 'jobs-enqueued') return;
        stop();
        resolve(event);
      });
    });
    try {
      app.exec('BEGIN IMMEDIATE');
      app.prepare('INSERT INTO orders (id) VALUES (2)').run();
      const id = await spool.enqueue(send, { order: 2 }, { transaction: app });
      app.exec('COMMIT');
      expect((await spool.getJob(id))?.state).toBe('enqueued');
      expect(orderCount(2)).toBe(1);
      // The application's connection is not the storage's: both storages hear of the commit from the file.
      expect(await elsewhere.arrived).toEqual({ type: 'jobs-enqueued', queues: ['default'] });
      expect(await here).toEqual({ type: 'jobs-enqueued', queues: ['default'] });
      const fetched = await storage.jobsFetch({ queues: ['default'], names: null, limit: 10, serverId: 'tx-test', leaseMs: 30_000 });
      expect(fetched.map((j) => j.id)).toContain(id);
    } finally {
      await elsewhere.stop();
    }
  });

  it("respects a queue's bound: counts the transaction's own jobs, refuses what does not fit and leaves the transaction open", async () => {
    await spool.limits.set({ queue: 'bounded-tx' }, { maxSize: 2 });
    app.exec('BEGIN IMMEDIATE');
    app.prepare('INSERT INTO orders (id) VALUES (40)').run();
    const kept = [await spool.enqueue(send, { order: 40 }, { transaction: app, queue: 'bounded-tx' })];
    await expect(spool.enqueueMany(send, [{ order: 41 }, { order: 42 }], { transaction: app, queue: 'bounded-tx' })).rejects.toMatchObject({
      code: 'ERR_QUEUE_FULL',
      queue: 'bounded-tx',
      size: 1,
      bound: 2,
    });
    kept.push(await spool.enqueue(send, { order: 43 }, { transaction: app, queue: 'bounded-tx' }));
    await expect(spool.enqueue(send, { order: 44 }, { transaction: app, queue: 'bounded-tx' })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 2 });
    expect(app.inTransaction).toBe(true);
    app.exec('COMMIT');
    expect(orderCount(40)).toBe(1);
    expect((await storage.monitoring.queues()).find((q) => q.name === 'bounded-tx')?.enqueued).toBe(2);
    expect((await Promise.all(kept.map((id) => spool.getJob(id)))).map((job) => job?.state)).toEqual(['enqueued', 'enqueued']);
    await expect(spool.enqueue(send, { order: 45 }, { transaction: app, queue: 'bounded-tx', onFull: 'wait' })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      problems: [{ path: 'enqueue options.onFull' }],
    });
    await spool.limits.clear({ queue: 'bounded-tx' });
  });

  it('returns the committed holder of a unique key instead of a second job', async () => {
    const first = await spool.enqueue(send, { order: 3 }, { uniqueKey: 'order-3' });
    app.exec('BEGIN IMMEDIATE');
    const again = await spool.enqueue(send, { order: 3 }, { transaction: app, uniqueKey: 'order-3' });
    app.exec('COMMIT');
    expect(again).toBe(first);
  });

  it('leaves the application’s transaction open and free of Spool rows when creating fails', async () => {
    const taken = await spool.enqueue(send, { order: 4 });
    const before = await storage.monitoring.stats();
    app.exec('BEGIN IMMEDIATE');
    app.prepare('INSERT INTO orders (id) VALUES (4)').run();
    // A job id already stored: SQLite refuses the row after the storage began writing.
    const error = await storage.jobsCreate({ jobs: [newJob({ id: taken })], transaction: app }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: false });
    expect(app.inTransaction).toBe(true);
    app.exec('COMMIT');
    expect(orderCount(4)).toBe(1);
    expect((await storage.monitoring.stats()).states).toEqual(before.states);
  });

  it('refuses what is not the application’s database inside a transaction, with ERR_CONFIG and nothing written', async () => {
    const before = (await storage.monitoring.stats()).states.enqueued;
    await expectRefused({ begin: true }, /better-sqlite3 Database/);
    // Outside a transaction each statement would commit alone: a job without the application's rows.
    await expectRefused(app, /not inside a transaction/);
    const elsewhere = new Database(tempDbPath('other.db'));
    try {
      elsewhere.exec('BEGIN IMMEDIATE');
      await expectRefused(elsewhere, /not on the storage’s file/);
      elsewhere.exec('ROLLBACK');
    } finally {
      elsewhere.close();
    }
    const memory = new Database(':memory:');
    memory.exec('BEGIN');
    await expectRefused(memory, /not on the storage’s file/);
    memory.close();
    await expectRefused(memory, /closed/);
    expect((await storage.monitoring.stats()).states.enqueued).toBe(before);
  });
});
