import type { Pool, PoolClient } from 'pg';

import { StorageError } from '@spool/core';

import type { Migration } from './migrations.js';
import { MIGRATIONS } from './migrations.js';

/**
 * Applies pending migrations, each once, in its own transaction, and returns the versions this call
 * applied. Safe when several servers start at once: a session advisory lock (one per schema) lets one
 * migrate while the others wait, and each migration re-reads the applied version under the lock, so
 * the ones that waited find the work done and skip it.
 */
export async function applyMigrations(pool: Pool, schema: string, now: number | null, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`spool-migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
      const applied: number[] = [];
      for (const migration of migrations) {
        if ((await currentVersion(client, s)) >= migration.version) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql(s));
          await client.query(
            `INSERT INTO ${s}.migrations (version, name, applied_at) VALUES ($1, $2, coalesce($3::bigint, (extract(epoch from now()) * 1000)::bigint))`,
            [migration.version, migration.name, now],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`spool-migrate:${schema}`]).catch((error: Error) => {
        broken = error;
      });
    }
  } finally {
    // A connection whose unlock failed may still hold the lock: destroy it rather than pool it.
    client.off('error', ignore);
    client.release(broken);
  }
}

/** Versions not yet applied to the schema (empty when it is up to date). */
export async function pendingMigrations(pool: Pool, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [`${s}.migrations`]);
    const version = rows[0]!.exists ? await currentVersion(client, s) : 0;
    return migrations.filter((m) => m.version > version).map((m) => m.version);
  } finally {
    client.release();
  }
}

/** Fails with a clear message when the schema is not up to date and the storage may not migrate it. */
export async function requireCurrentSchema(pool: Pool, schema: string): Promise<void> {
  const pending = await pendingMigrations(pool, schema);
  if (pending.length > 0) {
    throw new StorageError(
      `PostgreSQL storage: schema "${schema}" needs migrations ${pending.join(', ')}. ` +
        'Run `spool migrate`, call `storage.migrate()`, or create the storage with `migrate: true`.',
      { retryable: false },
    );
  }
}

/** A schema name quoted as an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function currentVersion(client: PoolClient, s: string): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.migrations`);
  return rows[0]!.version ?? 0;
}
