import mysql from 'mysql2/promise';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Spool, defineJob } from 'spool';

/** Where the shop keeps its data: one MySQL or MariaDB database, the application's tables and Spool's side by side. */
export interface ShopOptions {
  /** The database, e.g. `mysql://app@127.0.0.1:3306/shop`. */
  url: string;
  /** The prefix of Spool's tables, as Hangfire's `TablesPrefix`: they live beside the shop's own. Default `spool_`. */
  spoolPrefix?: string;
  /** The shop's own table of orders. Default `orders`. */
  ordersTable?: string;
}

export interface OrderInput {
  customer: string;
  totalCents: number;
}

/** Sends the confirmation of an order: here it records the order as confirmed, as a mail sender would record its message. */
export const confirmOrder = defineJob('orders.confirm', async (args: { orderId: number }, ctx) => {
  ctx.log.info(`confirming order ${args.orderId}`);
  return { confirmed: args.orderId };
});

/**
 * An application that owns its database: orders go into its own table, and the job that confirms an
 * order is enqueued in the same transaction as the order's row. Either both exist or neither: no
 * order without its confirmation, no confirmation of an order that was never stored.
 */
export class Shop {
  readonly spool: Spool;
  readonly pool: mysql.Pool;
  private readonly orders: string;

  constructor(options: ShopOptions) {
    const prefix = options.spoolPrefix ?? 'spool_';
    this.orders = `\`${(options.ordersTable ?? 'orders').replace(/`/g, '')}\``;
    const url = new URL(options.url);
    url.searchParams.set('prefix', prefix);
    this.spool = new Spool({ storage: url.toString(), jobs: [confirmOrder] });
    this.pool = mysql.createPool({ uri: options.url, connectionLimit: 4 });
  }

  /** Creates the shop's table (if missing) and Spool's (migrations). */
  async init(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.orders} (
      id INT AUTO_INCREMENT PRIMARY KEY,
      customer VARCHAR(200) NOT NULL,
      total_cents INT NOT NULL
    ) ENGINE=InnoDB`);
    await this.spool.init();
  }

  /**
   * Stores an order and enqueues its confirmation in one transaction. `check` runs after both writes,
   * before the commit (a stock or fraud check, say): when it throws, the transaction rolls back.
   */
  async placeOrder(order: OrderInput, check: (orderId: number) => Promise<void> | void = () => undefined): Promise<{ orderId: number; jobId: string }> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      const [inserted] = await connection.query<ResultSetHeader>(`INSERT INTO ${this.orders} (customer, total_cents) VALUES (?, ?)`, [order.customer, order.totalCents]);
      const orderId = inserted.insertId;
      const jobId = await this.spool.enqueue(confirmOrder, { orderId }, { transaction: connection });
      await check(orderId);
      await connection.commit();
      return { orderId, jobId };
    } catch (error) {
      await connection.rollback();
      throw error;
    } finally {
      connection.release();
    }
  }

  /** The stored order, or null. */
  async order(id: number): Promise<{ id: number; customer: string; totalCents: number } | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT id, customer, total_cents FROM ${this.orders} WHERE id = ?`, [id]);
    const row = rows[0];
    return row === undefined ? null : { id: Number(row.id), customer: String(row.customer), totalCents: Number(row.total_cents) };
  }

  async close(): Promise<void> {
    await this.spool.close();
    await this.pool.end();
  }
}
