import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import pg from 'pg';

/** The PostgreSQL the benchmarks use: SPOOL_BENCH_POSTGRES_URL, or the local server's `test` database. */
export const BENCH_POSTGRES_URL = process.env.SPOOL_BENCH_POSTGRES_URL ?? process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name for one run. */
export function freshSchema(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Runs statements on a short-lived connection. */
export async function execute(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** Drops a schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await execute(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * Runs `ANALYZE` on every table of a schema (partitioned ones recurse into their partitions), so a
 * burn-down plans with statistics as production would after autovacuum: a plan that collapses
 * without them stays hidden otherwise.
 */
export async function analyzeSchema(schema: string): Promise<void> {
  const { rows } = await execute("SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = $1", [schema]);
  if (rows.length === 0) throw new Error(`schema ${schema} has no tables to analyze`);
  await execute(`ANALYZE ${rows.map((r: { name: string }) => r.name).join(', ')}`);
}

/** Waits until autovacuum-free quiet: a CHECKPOINT so runs start from the same state. */
export async function settle(): Promise<void> {
  await execute('CHECKPOINT');
}

/** The installed version of a package (read from its package.json, which its `exports` may hide). */
export function installedVersion(pkg: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) throw new Error(`package ${pkg} is not installed`);
  }
}
