import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import pg from 'pg';

import { POSTGRES_URL, REDIS_URL, dropPostgresSchema, dropRedisPrefix } from '../faults/services.js';

// The storages the end-to-end tests run on, each as a URL of its own (a fresh file, schema, key
// prefix or table prefix) and the cleanup that removes it. A server that does not answer fails the
// run under CI, and is skipped loudly elsewhere.

const MYSQL_URL = process.env.SPOOL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** One storage for a test: its URL, and how to remove what the test left. */
export interface E2eStorage {
  url: string;
  cleanup: () => Promise<void>;
}

/** A storage kind the end-to-end tests can run on. */
export interface E2eStorageKind {
  name: 'SQLite' | 'PostgreSQL' | 'Redis' | 'MySQL';
  /** Whether its server answers (always for SQLite). */
  up: boolean;
  /** A fresh storage of this kind. */
  fresh: (label: string) => E2eStorage;
}

async function answers(name: string, probe: () => Promise<void>, url: string): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`${name} is not reachable at ${url}`);
    console.warn(`\n!!! SKIPPING the ${name} end-to-end tests: no ${name} at ${url}\n`);
    return false;
  }
}

const suffix = () => randomBytes(5).toString('hex');

/** Every storage kind, with whether it can run here. */
export async function e2eStorageKinds(): Promise<E2eStorageKind[]> {
  const pgUp = await answers('PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
    } finally {
      await client.end().catch(() => undefined);
    }
  }, POSTGRES_URL);
  const redisUp = await answers('Redis', async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  }, REDIS_URL);
  const mysqlUp = await answers('MySQL', async () => {
    const connection = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
    await connection.end();
  }, MYSQL_URL);
  return [
    {
      name: 'SQLite',
      up: true,
      fresh: (label) => {
        const dir = mkdtempSync(join(tmpdir(), `spool-${label}-`));
        return { url: `sqlite:${join(dir, 'spool.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: 'PostgreSQL',
      up: pgUp,
      fresh: (label) => {
        const schema = `spool_${label}_${suffix()}`;
        return {
          url: `${POSTGRES_URL}?schema=${schema}`,
          cleanup: () => dropPostgresSchema(schema),
        };
      },
    },
    {
      name: 'Redis',
      up: redisUp,
      fresh: (label) => {
        const prefix = `spool-e2e-${label}-${suffix()}`;
        return {
          url: `${REDIS_URL}?prefix=${prefix}`,
          // Only this test's keys: never a flush of a Redis that others use.
          cleanup: () => dropRedisPrefix(prefix),
        };
      },
    },
    {
      name: 'MySQL',
      up: mysqlUp,
      fresh: (label) => {
        const prefix = `spool_${label}_${suffix()}_`;
        return {
          url: `${MYSQL_URL}?prefix=${prefix}`,
          cleanup: async () => {
            const connection = await mysql.createConnection({ uri: MYSQL_URL });
            const [rows] = await connection.query<RowDataPacket[]>(
              'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?',
              [`${prefix.replace(/_/g, '\\_')}%`],
            );
            if (rows.length > 0) await connection.query(`DROP TABLE IF EXISTS ${rows.map((r) => `\`${String(r.name)}\``).join(', ')}`);
            await connection.end();
          },
        };
      },
    },
  ];
}
