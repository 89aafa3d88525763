import type { Clock } from '@spool/core';
import { SchemaTooNewError, StorageError } from '@spool/core';

import type { Migration } from './migrations.js';
import { MIGRATIONS } from './migrations.js';
import type { SqliteConnection } from './sqlite-connection.js';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS spool_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/**
 * Applies pending migrations, each once, in its own transaction. Safe when several processes start
 * at once: each migration takes the write lock first (`BEGIN IMMEDIATE`) and re-reads the applied
 * version inside, so the process that waited finds the work done and skips it.
 * Returns the versions this call applied.
 */
export async function applyMigrations(conn: SqliteConnection, clock: Clock, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await conn.write('creating the migrations table', () => {
    conn.db.exec(CREATE_TABLE);
    refuseNewer(conn, currentVersionIn(conn), migrations);
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await conn.write(`applying migration ${migration.version} (${migration.name})`, () => {
      if (currentVersionIn(conn) >= migration.version) return false;
      conn.db.exec(migration.sql);
      conn.stmt('INSERT INTO spool_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, clock.now());
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}

/** Versions not yet applied to the database (empty when it is up to date). */
export async function pendingMigrations(conn: SqliteConnection, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const version = await conn.read('reading the schema version', () => {
    const table = conn.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spool_migrations'").get();
    return table === undefined ? 0 : currentVersionIn(conn);
  });
  refuseNewer(conn, version, migrations);
  return migrations.filter((m) => m.version > version).map((m) => m.version);
}

/** Fails with a clear message when the schema is not up to date and the storage may not migrate it. */
export async function requireCurrentSchema(conn: SqliteConnection): Promise<void> {
  const pending = await pendingMigrations(conn);
  if (pending.length > 0) {
    throw new StorageError(
      `SQLite storage: the database at ${conn.path} needs migrations ${pending.join(', ')}. ` +
        'Run `spool migrate`, call `storage.migrate()`, or create the storage with `migrate: true`.',
      { retryable: false },
    );
  }
}

/** Refuses a database that a newer version of Spool migrated: this code cannot know what changed. */
function refuseNewer(conn: SqliteConnection, version: number, migrations: readonly Migration[]): void {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (version > known) throw new SchemaTooNewError(`The SQLite database at ${conn.path}`, version, known);
}

function currentVersionIn(conn: SqliteConnection): number {
  const row = conn.db.prepare('SELECT max(version) AS version FROM spool_migrations').get() as { version: number | null };
  return row.version ?? 0;
}
