import type { Pool, PoolClient } from 'pg';

import { SchemaTooNewError, StorageError } from '@spool/core';

import type { Migration } from './migrations.js';
import { MIGRATIONS } from './migrations.js';

/**
 * Applies pending migrations, each once, in its own transaction, and returns the versions this call
 * applied. Safe when several servers start at once: a session advisory lock (one per schema) lets one
 * migrate while the others wait, and each migration re-reads the applied version under the lock, so
 * the ones that waited find the work done and skip it.
 */
export async function applyMigrations(
  pool: Pool,
  schema: string,
  now: number | null,
  lockTimeoutMs: number,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let broken: Error | undefined;
  try {
    await takeLock(client, schema, lockTimeoutMs);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
      refuseNewer(schema, await currentVersion(client, s), migrations);
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

const LOCK_POLL_MS = 100;

/**
 * Takes the schema's migration lock, waiting at most `timeoutMs` for another process that holds it
 * (it may be migrating, or stuck): a start that waits without a bound looks like a hung enqueue.
 */
async function takeLock(client: PoolClient, schema: string, timeoutMs: number): Promise<void> {
  const key = `spool-migrate:${schema}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [key]);
    if (rows[0]!.locked) return;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(LOCK_POLL_MS, Math.max(0, deadline - Date.now()))));
  }
  const holder = await lockHolder(client, key);
  throw new StorageError(
    `PostgreSQL storage: another connection${holder} has held the migration lock of schema "${schema}" for more than ${timeoutMs} ms, ` +
      'so the schema could not be checked or migrated. It may still be migrating (try again), or be stuck (end that session). ' +
      'The wait is set by the migrationLockTimeout option.',
    { retryable: true },
  );
}

/** " (backend pid N, application X)" for the session holding an advisory lock, or "" if unknown. */
async function lockHolder(client: PoolClient, key: string): Promise<string> {
  try {
    // A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    const { rows } = await client.query<{ pid: number; application: string }>(
      `SELECT l.pid, coalesce(a.application_name, '') AS application FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.classid::bigint = ((hashtextextended($1, 0) >> 32) & 4294967295) AND l.objid::bigint = (hashtextextended($1, 0) & 4294967295)`,
      [key],
    );
    const row = rows[0];
    return row ? ` (backend pid ${row.pid}${row.application ? `, application "${row.application}"` : ''})` : '';
  } catch {
    return '';
  }
}

/** Refuses a schema that a newer version of Spool migrated: this code cannot know what changed. */
function refuseNewer(schema: string, version: number, migrations: readonly Migration[]): void {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (version > known) throw new SchemaTooNewError(`PostgreSQL schema "${schema}"`, version, known);
}

/** Versions not yet applied to the schema (empty when it is up to date). */
export async function pendingMigrations(pool: Pool, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [`${s}.migrations`]);
    const version = rows[0]!.exists ? await currentVersion(client, s) : 0;
    refuseNewer(schema, version, migrations);
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
