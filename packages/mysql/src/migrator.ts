import { createHash } from 'node:crypto';

import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';

import { SchemaTooNewError, StorageError } from '@spool/core';

import type { Migration, MigrationTarget } from './migrations.js';
import { MIGRATIONS, exactCollation } from './migrations.js';
import { errorNumber } from './translate-error.js';

/**
 * Applies pending migrations, each once, and returns the versions this call applied. Safe when
 * several servers start at once: a named lock (`GET_LOCK`, one per database and prefix) lets one
 * migrate while the others wait, and each migration re-reads the applied version under the lock, so
 * the ones that waited find the work done and skip it.
 *
 * MySQL commits each CREATE TABLE on its own (DDL is not transactional), so a migration's statements
 * are written to be run again (`IF NOT EXISTS`): a start that died half-way through one is completed
 * by the next, which runs it whole before recording it.
 */
export async function applyMigrations(pool: Pool, prefix: string, now: number | null, lockTimeoutMs: number, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const connection = await pool.getConnection();
  let broken = false;
  try {
    const lock = await takeLock(connection, prefix, lockTimeoutMs);
    try {
      const target = await migrationTarget(connection, prefix);
      await connection.query(
        `CREATE TABLE IF NOT EXISTS \`${prefix}migrations\` (version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      );
      refuseNewer(prefix, await currentVersion(connection, prefix), migrations);
      const applied: number[] = [];
      for (const migration of migrations) {
        if ((await currentVersion(connection, prefix)) >= migration.version) continue;
        for (const statement of migration.statements(target)) await runStatement(connection, statement);
        await connection.query(
          `INSERT INTO \`${prefix}migrations\` (version, name, applied_at) VALUES (?, ?, COALESCE(?, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)))`,
          [migration.version, migration.name, now],
        );
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => {
        broken = true;
      });
    }
  } finally {
    // A connection whose unlock failed may still hold the lock: destroy it rather than pool it.
    if (broken) connection.destroy();
    else connection.release();
  }
}

/** MySQL's "Duplicate column name": the column an ADD COLUMN adds is there already. */
const ER_DUP_FIELDNAME = 1060;

/**
 * Runs one statement of a migration. A CREATE TABLE runs again by itself (`IF NOT EXISTS`); an
 * ALTER TABLE that adds a column has no such clause on MySQL 8, so a column already there is taken
 * as the work of an earlier start that died before it recorded the migration.
 */
async function runStatement(connection: PoolConnection, statement: string): Promise<void> {
  try {
    await connection.query(statement);
  } catch (error) {
    if (!(/^ALTER TABLE .* ADD COLUMN /s.test(statement) && errorNumber(error) === ER_DUP_FIELDNAME)) throw error;
  }
}

/** The lock's name: at most 64 characters, whatever the database and prefix. */
function lockName(database: string, prefix: string): string {
  return `spool-migrate:${createHash('sha1').update(`${database}\0${prefix}`).digest('hex')}`;
}

/**
 * Takes the prefix's migration lock, waiting at most `timeoutMs` for another process that holds it
 * (it may be migrating, or stuck): a start that waits without a bound looks like a hung enqueue.
 */
async function takeLock(connection: PoolConnection, prefix: string, timeoutMs: number): Promise<string> {
  const [[db]] = await connection.query<RowDataPacket[]>('SELECT DATABASE() AS name');
  const name = lockName(String(db!.name), prefix);
  // GET_LOCK waits in whole seconds (fractions are accepted by MariaDB and MySQL 8 alike).
  const [[row]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS locked', [name, timeoutMs / 1000]);
  if (Number(row!.locked) === 1) return name;
  const [[holder]] = await connection.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [name]);
  throw new StorageError(
    `MySQL storage: another connection${holder?.id ? ` (connection id ${String(holder.id)})` : ''} has held the migration lock of prefix "${prefix}" for more than ${timeoutMs} ms, ` +
      'so the tables could not be checked or migrated. It may still be migrating (try again), or be stuck (end that connection). ' +
      'The wait is set by the migrationLockTimeout option.',
    { retryable: true },
  );
}

async function migrationTarget(connection: PoolConnection, prefix: string): Promise<MigrationTarget> {
  const [[row]] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
  return { prefix, collation: exactCollation(String(row!.version)) };
}

/** Refuses tables that a newer version of Spool migrated: this code cannot know what changed. */
function refuseNewer(prefix: string, version: number, migrations: readonly Migration[]): void {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (version > known) throw new SchemaTooNewError(`MySQL tables "${prefix}*"`, version, known);
}

/** Versions not yet applied (empty when the tables are up to date). */
export async function pendingMigrations(pool: Pool, prefix: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [`${prefix}migrations`]);
  const connection = await pool.getConnection();
  try {
    const version = rows.length > 0 ? await currentVersion(connection, prefix) : 0;
    refuseNewer(prefix, version, migrations);
    return migrations.filter((m) => m.version > version).map((m) => m.version);
  } finally {
    connection.release();
  }
}

/** Fails with a clear message when the tables are not up to date and the storage may not migrate them. */
export async function requireCurrentSchema(pool: Pool, prefix: string): Promise<void> {
  const pending = await pendingMigrations(pool, prefix);
  if (pending.length > 0) {
    throw new StorageError(
      `MySQL storage: the tables with prefix "${prefix}" need migrations ${pending.join(', ')}. ` +
        'Run `spool migrate`, call `storage.migrate()`, or create the storage with `migrate: true`.',
      { retryable: false },
    );
  }
}

async function currentVersion(connection: PoolConnection, prefix: string): Promise<number> {
  const [[row]] = await connection.query<RowDataPacket[]>(`SELECT MAX(version) AS version FROM \`${prefix}migrations\``);
  return row?.version === null || row?.version === undefined ? 0 : Number(row.version);
}
