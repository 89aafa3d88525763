/**
 * The MySQL tables of benchmark runs: where they live, a fresh prefix per run, statistics and
 * removal. No Spool package is imported here, so a probe of another build can use it.
 */
import { randomBytes } from 'node:crypto';

import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';

/** The MySQL or MariaDB the benchmarks use: SPOOL_BENCH_MYSQL_URL, or the local server's `test` database. */
export const BENCH_MYSQL_URL = process.env.SPOOL_BENCH_MYSQL_URL ?? process.env.SPOOL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A fresh table prefix for one run: every table of the run is named with it, and dropped afterwards. */
export function freshPrefix(): string {
  return `bench_spool_${randomBytes(5).toString('hex')}_`;
}

async function withConnection<T>(work: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: BENCH_MYSQL_URL });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** The tables of one run (the prefix is ours alone: `bench_spool_<random>_`). */
async function tablesOf(connection: mysql.Connection, prefix: string): Promise<string[]> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?', [`${prefix}%`]);
  return rows.map((row) => String(row.name));
}

/** Fresh statistics for the optimizer, as PostgreSQL's runs get from ANALYZE: the pre-fill just changed every table. */
export async function analyzeTables(prefix: string): Promise<void> {
  await withConnection(async (connection) => {
    const tables = await tablesOf(connection, prefix);
    if (tables.length > 0) await connection.query(`ANALYZE TABLE ${tables.map((t) => `\`${t}\``).join(', ')}`);
  });
}

/** Drops the tables of one run. */
export async function dropTables(prefix: string): Promise<void> {
  await withConnection(async (connection) => {
    const tables = await tablesOf(connection, prefix);
    if (tables.length > 0) await connection.query(`DROP TABLE IF EXISTS ${tables.map((t) => `\`${t}\``).join(', ')}`);
  });
}

