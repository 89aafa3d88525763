import { randomBytes } from 'node:crypto';

import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Shop } from '@spool-examples/mysql-orders';

const URL_ = process.env.SPOOL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const tag = randomBytes(4).toString('hex');
const spoolPrefix = `shop_${tag}_spool_`;
const ordersTable = `shop_${tag}_orders`;

async function reachable(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: URL_, connectTimeout: 3000 });
    await connection.end();
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    console.warn(`\n!!! SKIPPING the mysql-orders example: MySQL/MariaDB is not reachable at ${URL_}\n`);
    return false;
  }
}
const available = await reachable();
let shop: Shop;

beforeAll(async () => {
  if (!available) return;
  shop = new Shop({ url: URL_, spoolPrefix, ordersTable });
  await shop.init();
});

afterAll(async () => {
  if (!available) return;
  await shop.close();
  const connection = await mysql.createConnection({ uri: URL_ });
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?',
    [`shop\\_${tag}\\_%`],
  );
  if (rows.length > 0) await connection.query(`DROP TABLE ${rows.map((r) => `\`${String(r.name)}\``).join(', ')}`);
  await connection.end();
});

async function jobsOfOrder(orderId: number): Promise<number> {
  const [rows] = await shop.pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${spoolPrefix}jobs\` WHERE JSON_EXTRACT(args, '$.orderId') = ?`, [orderId]);
  return Number(rows[0]!.n);
}

describe.skipIf(!available)('a shop on MySQL that enqueues in the transaction of its own insert', () => {
  it('keeps Spool’s tables beside the shop’s, under their prefix', async () => {
    const [rows] = await shop.pool.query<RowDataPacket[]>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?',
      [`shop\\_${tag}\\_%`],
    );
    const names = rows.map((r) => String(r.name));
    expect(names).toContain(ordersTable);
    expect(names).toContain(`${spoolPrefix}jobs`);
  });

  it('leaves neither the order nor its job when the transaction rolls back', async () => {
    const before = (await shop.spool.stats()).states.enqueued;
    let orderId = 0;
    await expect(
      shop.placeOrder({ customer: 'Grace', totalCents: 100 }, (id) => {
        orderId = id;
        throw new Error('out of stock');
      }),
    ).rejects.toThrow('out of stock');
    expect(orderId).toBeGreaterThan(0);
    expect(await shop.order(orderId)).toBeNull();
    expect(await jobsOfOrder(orderId)).toBe(0);
    expect((await shop.spool.stats()).states.enqueued).toBe(before);
  });

  it('makes the order and its job visible together at the commit, and a server runs the job', async () => {
    const { orderId, jobId } = await shop.placeOrder({ customer: 'Ada', totalCents: 4200 });
    expect(await shop.order(orderId)).toEqual({ id: orderId, customer: 'Ada', totalCents: 4200 });
    expect((await shop.spool.getJob(jobId))?.state).toBe('enqueued');
    // The same look-up that finds no job after a rollback finds this one.
    expect(await jobsOfOrder(orderId)).toBe(1);
    const server = await shop.spool.startServer({ concurrency: 2, handleSignals: false, pollInterval: '100ms' });
    try {
      for (let i = 0; i < 200 && (await shop.spool.getJob(jobId))?.state !== 'succeeded'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const job = await shop.spool.getJob(jobId);
      expect(job?.state).toBe('succeeded');
      expect(job?.result).toEqual({ confirmed: orderId });
    } finally {
      await server.stop();
    }
  });
});
