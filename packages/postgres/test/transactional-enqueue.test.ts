import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool, defineJob } from '@spool/core';
import type { StorageEvent } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, postgresAvailable } from './helpers.js';

const available = await postgresAvailable();
const schema = freshSchema('spool_tx');
const send = defineJob('orders.confirm', (args: { order: number }) => args.order);

let spool: Spool;
let storage: PostgresStorage;
let pool: pg.Pool;

beforeAll(async () => {
  if (!available) return;
  storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: 4 });
  spool = new Spool({ storage, jobs: [send] });
  await spool.init();
  pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  await pool.query(`CREATE TABLE "${schema}".orders (id integer PRIMARY KEY)`);
});

afterAll(async () => {
  if (!available) return;
  await spool.close();
  await pool.end();
  await dropSchemas([schema]);
});

/** Waits for a jobs-enqueued event of `queue` on a second storage (another "process"). */
function enqueuedElsewhere(): { arrived: Promise<StorageEvent>; stop: () => Promise<void> } {
  const other = new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: 1 });
  let unsubscribe = (): void => undefined;
  const arrived = new Promise<StorageEvent>((resolve) => {
    unsubscribe = other.subscribe((event) => {
      if (event.type === 'jobs-enqueued') resolve(event);
    });
  });
  return {
    arrived,
    stop: async () => {
      unsubscribe();
      await other.close();
    },
  };
}

describe.skipIf(!available)('enqueue inside the caller’s transaction', () => {
  it('with node-postgres: a rolled-back transaction leaves no job', async () => {
    const client = await pool.connect();
    let id: string;
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema}".orders (id) VALUES (1)`);
      id = await spool.enqueue(send, { order: 1 }, { transaction: client });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await spool.getJob(id)).toBeNull();
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".orders WHERE id = 1`)).rows[0].n).toBe(0);
  });

  it('with node-postgres: a committed job is visible and announced to other servers at the commit', async () => {
    const listener = enqueuedElsewhere();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the other storage's LISTEN comes up
    const client = await pool.connect();
    let id: string;
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema}".orders (id) VALUES (2)`);
      id = await spool.enqueue(send, { order: 2 }, { transaction: client });
      // Not committed yet: invisible to everyone else.
      expect(await spool.getJob(id)).toBeNull();
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await spool.getJob(id))?.state).toBe('enqueued');
    expect(await listener.arrived).toEqual({ type: 'jobs-enqueued', queues: ['default'] });
    await listener.stop();
  });

  it('with postgres.js: sql.begin commits the job with the application’s rows, or neither', async () => {
    const sql = postgres(POSTGRES_URL, { max: 1, onnotice: () => undefined });
    try {
      let committed = '';
      await sql.begin(async (tx) => {
        await tx.unsafe(`INSERT INTO "${schema}".orders (id) VALUES (3)`);
        committed = await spool.enqueue(send, { order: 3 }, { transaction: tx });
      });
      expect((await spool.getJob(committed))?.args).toEqual({ order: 3 });

      let rolledBack = '';
      await expect(
        sql.begin(async (tx) => {
          rolledBack = await spool.enqueue(send, { order: 4 }, { transaction: tx });
          throw new Error('the application changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
      expect(rolledBack).not.toBe('');
      expect(await spool.getJob(rolledBack)).toBeNull();
    } finally {
      await sql.end();
    }
  });

  it('runs a job enqueued in a transaction on a server once it commits', async () => {
    const server = await spool.startServer({ concurrency: 2, handleSignals: false, pollInterval: '30s' });
    try {
      const client = await pool.connect();
      let id: string;
      try {
        await client.query('BEGIN');
        id = await spool.enqueue(send, { order: 5 }, { transaction: client });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      // The poll interval is 30 s: only the notification at commit can wake the server in time.
      for (let i = 0; i < 200 && (await spool.getJob(id))?.state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await spool.getJob(id))?.result).toBe(5);
    } finally {
      await server.stop();
    }
  });

  it("respects a queue's bound: counts the transaction's own jobs, refuses what does not fit and leaves the transaction open", async () => {
    await spool.limits.set({ queue: 'bounded-tx' }, { maxSize: 2 });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema}".orders (id) VALUES (40)`);
      await spool.enqueue(send, { order: 40 }, { transaction: client, queue: 'bounded-tx' });
      await expect(spool.enqueueMany(send, [{ order: 41 }, { order: 42 }], { transaction: client, queue: 'bounded-tx' })).rejects.toMatchObject({
        code: 'ERR_QUEUE_FULL',
        queue: 'bounded-tx',
        size: 1,
        bound: 2,
      });
      await spool.enqueue(send, { order: 43 }, { transaction: client, queue: 'bounded-tx' });
      await expect(spool.enqueue(send, { order: 44 }, { transaction: client, queue: 'bounded-tx' })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL', size: 2 });
      // The transaction is still usable: the refusal wrote nothing and raised no SQL error.
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".orders WHERE id = 40`)).rows[0].n).toBe(1);
    expect((await storage.monitoring.queues()).find((q) => q.name === 'bounded-tx')?.enqueued).toBe(2);
    await spool.limits.clear({ queue: 'bounded-tx' });
  });

  it('refuses a transaction that is neither a node-postgres client nor a postgres.js sql', async () => {
    await expect(spool.enqueue(send, { order: 6 }, { transaction: { begin: true } })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});
