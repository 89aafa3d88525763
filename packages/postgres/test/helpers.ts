import { randomBytes } from 'node:crypto';

import pg from 'pg';

import type { NewJob } from '@spool/core';
import { UuidV7Generator, systemClock } from '@spool/core';

/** The database the tests use: SPOOL_TEST_POSTGRES_URL, or the local server's `test` database. */
export const POSTGRES_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers. When it does not: under CI the suite fails with a clear message; on a
 * developer's machine it is skipped loudly.
 */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const message =
      `PostgreSQL is not reachable at ${POSTGRES_URL} (${error instanceof Error ? error.message : String(error)}). ` +
      'Start it (for example `pg_ctlcluster 15 main start`) or set SPOOL_TEST_POSTGRES_URL.';
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! SKIPPING the PostgreSQL tests: ${message}\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema name for one test or test file. */
export function freshSchema(prefix = 'spool_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a short-lived connection. */
export async function sql(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** Drops schemas made by the tests. */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  await sql(schemas.map((s) => `DROP SCHEMA IF EXISTS "${s}" CASCADE;`).join('\n'));
}

const ids = new UuidV7Generator(systemClock);

/** A new enqueued job of name 'test.job' with test defaults; `overrides` replace any field. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: ids.next(),
    name: 'test.job',
    args: null,
    queue: 'default',
    priority: 0,
    state: 'enqueued',
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    retentionMs: 86_400_000,
    backoff: null,
    uniqueKey: null,
    parentId: null,
    continueOn: null,
    recurringId: null,
    parameters: {},
    reason: 'test',
    ...overrides,
  };
}
