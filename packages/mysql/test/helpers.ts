import { randomBytes } from 'node:crypto';

import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';

import type { NewJob } from '@spool/core';

/** The database the tests use: SPOOL_TEST_MYSQL_URL, or the local server's `test` database. */
export const MYSQL_URL = process.env.SPOOL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/**
 * Whether MySQL or MariaDB answers. When it does not: under CI the suite fails with a clear
 * message; on a developer's machine it is skipped loudly.
 */
export async function mysqlAvailable(): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 3000 });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch (error) {
    const message =
      `MySQL/MariaDB is not reachable at ${MYSQL_URL} (${error instanceof Error ? error.message : String(error)}). ` +
      'Start it (for example `.ci/services.sh`) or set SPOOL_TEST_MYSQL_URL.';
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! SKIPPING the MySQL tests: ${message}\n`);
    return false;
  }
}

/** A fresh table prefix for one test or test file. */
export function freshPrefix(label = 'spool_test'): string {
  return `${label}_${randomBytes(5).toString('hex')}_`;
}

/** Runs one statement on a short-lived connection. */
export async function sql<T extends RowDataPacket[]>(text: string, values: unknown[] = []): Promise<T> {
  const connection = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    const [rows] = await connection.query<T>(text, values);
    return rows;
  } finally {
    await connection.end();
  }
}

/** Drops every table under the given prefixes. */
export async function dropPrefixes(prefixes: readonly string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const connection = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    for (const prefix of prefixes) {
      const [rows] = await connection.query<RowDataPacket[]>(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?',
        [`${prefix.replace(/_/g, '\\_')}%`],
      );
      if (rows.length > 0) await connection.query(`DROP TABLE IF EXISTS ${rows.map((r) => `\`${String(r.name)}\``).join(', ')}`);
    }
  } finally {
    await connection.end();
  }
}

let seq = 0;

/** A new enqueued job of the default queue, with a fresh id; `overrides` set any field. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  seq++;
  return {
    id: `00000000-0000-7000-8000-${seq.toString(16).padStart(12, '0')}`,
    name: 'report.build',
    args: {},
    queue: 'default',
    priority: 0,
    state: 'enqueued',
    reason: 'Enqueued',
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    retentionMs: null,
    backoff: null,
    uniqueKey: null,
    parentId: null,
    continueOn: null,
    recurringId: null,
    parameters: {},
    ...overrides,
  };
}
