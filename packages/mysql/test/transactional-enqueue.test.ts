import mysql from 'mysql2/promise';
import mysqlCallbacks from 'mysql2';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool, defineJob } from '@spool/core';
import type { StorageEvent } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';

import { MYSQL_URL, dropPrefixes, freshPrefix, mysqlAvailable } from './helpers.js';

const available = await mysqlAvailable();
const prefix = freshPrefix('spool_tx');
// The application's own table, beside Spool's, as in an application that owns the database.
const orders = `\`${prefix}app_orders\``;
const send = defineJob('orders.confirm', (args: { order: number }) => args.order);

let spool: Spool;
let storage: MySqlStorage;
let pool: mysql.Pool;

beforeAll(async () => {
  if (!available) return;
  storage = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 4, watchInterval: 50 });
  spool = new Spool({ storage, jobs: [send] });
  await spool.init();
  pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
  await pool.query(`CREATE TABLE ${orders} (id INT PRIMARY KEY) ENGINE=InnoDB`);
});

afterAll(async () => {
  if (!available) return;
  await spool.close();
  await pool.end();
  await dropPrefixes([prefix]);
});

async function orderCount(id: number): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${orders} WHERE id = ?`, [id]);
  return Number(rows[0]!.n);
}

/** Waits for a jobs-enqueued event on a second storage (another "process"), which only polls the database. */
function enqueuedElsewhere(): { arrived: Promise<StorageEvent>; watching: Promise<void>; stop: () => Promise<void> } {
  const other = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 1, watchInterval: 50 });
  let unsubscribe = (): void => undefined;
  const arrived = new Promise<StorageEvent>((resolve) => {
    unsubscribe = other.subscribe((event) => {
      if (event.type === 'jobs-enqueued') resolve(event);
    });
  });
  return {
    arrived,
    watching: other.init().then(() => other.watching()),
    stop: async () => {
      unsubscribe();
      await other.close();
    },
  };
}

describe.skipIf(!available)('enqueue inside the caller’s MySQL transaction', () => {
  it('leaves no job, and no count of one, when the transaction rolls back', async () => {
    const before = (await spool.storage.monitoring.stats()).states.enqueued;
    const connection = await pool.getConnection();
    let id: string;
    try {
      await connection.beginTransaction();
      await connection.query(`INSERT INTO ${orders} (id) VALUES (1)`);
      id = await spool.enqueue(send, { order: 1 }, { transaction: connection });
      await connection.rollback();
    } finally {
      connection.release();
    }
    expect(await spool.getJob(id)).toBeNull();
    expect(await orderCount(1)).toBe(0);
    expect((await spool.storage.monitoring.stats()).states.enqueued).toBe(before);
  });

  it('makes a committed job visible to every server at the commit, and wakes servers of other processes', async () => {
    const listener = enqueuedElsewhere();
    const connection = await pool.getConnection();
    let id: string;
    try {
      await connection.beginTransaction();
      await connection.query(`INSERT INTO ${orders} (id) VALUES (2)`);
      id = await spool.enqueue(send, { order: 2 }, { transaction: connection });
      // Not committed yet: invisible to everyone else.
      expect(await spool.getJob(id)).toBeNull();
      // The other storage's watcher has taken note of the counts before the commit.
      await listener.watching;
      await connection.commit();
    } finally {
      connection.release();
    }
    try {
      expect((await spool.getJob(id))?.state).toBe('enqueued');
      expect(await orderCount(2)).toBe(1);
      const event = await listener.arrived;
      expect(event).toEqual({ type: 'jobs-enqueued', queues: ['default'] });
      const fetched = await storage.jobsFetch({ queues: ['default'], names: null, limit: 10, serverId: 'tx-test', leaseMs: 30_000 });
      expect(fetched.map((j) => j.id)).toContain(id);
    } finally {
      await listener.stop();
    }
  });

  it('accepts a connection of the callback API, and the unique key of a job committed before', async () => {
    const connection = mysqlCallbacks.createConnection({ uri: MYSQL_URL });
    const promised = connection.promise();
    try {
      const first = await spool.enqueue(send, { order: 3 }, { uniqueKey: 'order-3' });
      await promised.beginTransaction();
      await promised.query(`INSERT INTO ${orders} (id) VALUES (3)`);
      const again = await spool.enqueue(send, { order: 3 }, { transaction: connection, uniqueKey: 'order-3' });
      await promised.commit();
      expect(again).toBe(first);
      expect(await orderCount(3)).toBe(1);
    } finally {
      await promised.end();
    }
  });

  it("respects a queue's bound: counts the transaction's own jobs, refuses what does not fit and leaves the transaction open", async () => {
    await spool.limits.set({ queue: 'bounded-tx' }, { maxSize: 2 });
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      await connection.query(`INSERT INTO ${orders} (id) VALUES (40)`);
      await spool.enqueue(send, { order: 40 }, { transaction: connection, queue: 'bounded-tx' });
      await expect(spool.enqueueMany(send, [{ order: 41 }, { order: 42 }], { transaction: connection, queue: 'bounded-tx' })).rejects.toMatchObject({
        code: 'ERR_QUEUE_FULL',
        queue: 'bounded-tx',
        size: 1,
        bound: 2,
      });
      await spool.enqueue(send, { order: 43 }, { transaction: connection, queue: 'bounded-tx' });
      await expect(spool.enqueue(send, { order: 44 }, { transaction: connection, queue: 'bounded-tx' })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 2 });
      await connection.commit();
    } finally {
      connection.release();
    }
    expect(await orderCount(40)).toBe(1);
    expect((await storage.monitoring.queues()).find((q) => q.name === 'bounded-tx')?.enqueued).toBe(2);
    await spool.limits.clear({ queue: 'bounded-tx' });
  });

  it('refuses a transaction that is not a mysql2 connection with ERR_CONFIG', async () => {
    await expect(spool.enqueue(send, { order: 4 }, { transaction: { begin: true } })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});
