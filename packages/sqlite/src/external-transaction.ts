import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

import type Database from 'better-sqlite3';
import type { JobsCreateResult, NewJob } from '@spool/core';
import { ConfigError } from '@spool/core';

import { createJobs } from './jobs-create.js';
import { translateError } from './translate-error.js';
import type { WriteContext } from './write-context.js';

const OPTION = 'enqueue options.transaction';

/** The parts of a better-sqlite3 `Database` this storage relies on (duck-typed: the application may load its own copy of the driver). */
interface DatabaseLike {
  prepare: unknown;
  exec: unknown;
  name: unknown;
  open: unknown;
  inTransaction: unknown;
  memory: unknown;
  readonly: unknown;
}

/**
 * Checks that `transaction` is the application's better-sqlite3 database, open on the storage's
 * own file, inside a transaction the application began, and returns it. Anything else is an
 * `ERR_CONFIG` error saying what was expected: a database outside a transaction would commit each
 * statement on its own (a job without the application's rows), and another file would hold jobs no
 * server reads.
 */
export function applicationDatabase(transaction: unknown, storagePath: string): Database.Database {
  if (!isDatabase(transaction)) {
    throw refused('expected the application’s better-sqlite3 Database, inside a transaction it began (db.exec("BEGIN IMMEDIATE"))');
  }
  if (transaction.open !== true) throw refused('the better-sqlite3 Database is closed');
  if (transaction.readonly === true) throw refused('the better-sqlite3 Database is read-only: open it for writing');
  if (transaction.memory === true || !sameFile(transaction.name as string, storagePath)) {
    throw refused(`the better-sqlite3 Database is open on ${String(transaction.name)}, not on the storage’s file ${storagePath}`);
  }
  if (transaction.inTransaction !== true) {
    throw refused('the better-sqlite3 Database is not inside a transaction: begin one (db.exec("BEGIN IMMEDIATE")) and commit it after enqueueing');
  }
  return transaction as unknown as Database.Database;
}

/**
 * Creates jobs through `ctx`, whose connection is the application's database inside its open
 * transaction, in a savepoint: a failure undoes this storage's statements and leaves the
 * application's transaction open for it to commit or roll back.
 */
export function createInApplicationTransaction(ctx: WriteContext, jobs: readonly NewJob[]): JobsCreateResult['jobs'] {
  const doing = "creating jobs in the application's transaction";
  const { conn } = ctx;
  try {
    conn.stmt('SAVEPOINT spool_enqueue').run();
  } catch (error) {
    throw translateError(error, doing);
  }
  try {
    const created = createJobs(ctx, jobs);
    ctx.flush();
    conn.stmt('RELEASE spool_enqueue').run();
    return created;
  } catch (error) {
    try {
      if (conn.db.inTransaction) conn.db.exec('ROLLBACK TO spool_enqueue; RELEASE spool_enqueue');
    } catch {
      // The transaction is already gone (SQLite rolled it back whole): nothing of ours remains in it.
    }
    throw translateError(error, doing);
  }
}

function isDatabase(value: unknown): value is DatabaseLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<DatabaseLike>;
  return (
    typeof candidate.prepare === 'function' &&
    typeof candidate.exec === 'function' &&
    typeof candidate.name === 'string' &&
    typeof candidate.open === 'boolean' &&
    typeof candidate.inTransaction === 'boolean'
  );
}

/** Whether two paths name one file (links and relative paths resolved; both files exist once opened). */
function sameFile(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function refused(message: string): ConfigError {
  return new ConfigError([{ path: OPTION, message }]);
}
