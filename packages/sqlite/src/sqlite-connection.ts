import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

import Database from 'better-sqlite3';
import { StorageClosedError } from '@spool/core';

import { isBusy, translateError } from './translate-error.js';

/** A prepared statement of this package's connection. */
export type Statement = Database.Statement<unknown[], unknown>;

/**
 * How long one attempt lets SQLite wait for a lock synchronously. better-sqlite3 blocks the event loop
 * while SQLite waits, so long waits are split: SQLite waits at most this long, then the connection
 * sleeps asynchronously (timers, handlers and heartbeats keep running) and tries again, until the
 * configured busy timeout is spent.
 */
const SYNC_BUSY_SLICE_MS = 20;
/** Longest asynchronous pause between two attempts to take a lock. */
const MAX_RETRY_PAUSE_MS = 50;

/**
 * One better-sqlite3 connection with Spool's settings: WAL, `synchronous=NORMAL`, a statement cache,
 * `BEGIN IMMEDIATE` write transactions, and busy waits that do not freeze the process.
 */
export class SqliteConnection {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly runInTransaction: Database.Transaction<(work: () => unknown) => unknown>;
  private closed = false;
  /** Whether this connection opened its database (and so closes it). */
  private readonly owned: boolean;

  /**
   * Opens (and creates, with its parent directory) the database file, or, given `existing`, works on
   * that database as it is: the application's own, for enqueueing inside its transaction (its
   * settings are the application's, and closing this connection leaves it open). Synchronous:
   * better-sqlite3 opens files synchronously.
   */
  constructor(
    readonly path: string,
    private readonly busyTimeoutMs: number,
    existing?: Database.Database,
  ) {
    this.owned = existing === undefined;
    if (existing !== undefined) {
      this.db = existing;
    } else {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      try {
        this.db = new Database(path, { timeout: Math.min(busyTimeoutMs, SYNC_BUSY_SLICE_MS) });
      } catch (error) {
        throw translateError(error, `opening ${path}`);
      }
    }
    this.runInTransaction = this.db.transaction((work: () => unknown) => work());
  }

  /**
   * Applies the connection settings. WAL lets readers run beside the one writer and keeps commits to
   * one sequential write; `synchronous=NORMAL` is durable across process crashes in WAL mode (only a
   * power loss can lose the last commits), at a fraction of the cost of an fsync per commit.
   */
  async configure(): Promise<void> {
    await this.attempt('configuring the connection', () => {
      if (this.path !== ':memory:') this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = OFF');
      this.db.pragma('temp_store = MEMORY');
      this.db.pragma('cache_size = -32768');
      // Checkpoint every ~40 MiB of WAL instead of SQLite's 4 MiB: a job queue rewrites the same hot
      // pages (index tails, counters) all the time, and a checkpoint copies each page once however
      // often it changed, with one fsync of each file. Fewer, larger checkpoints cost far less.
      this.db.pragma('wal_autocheckpoint = 10000');
      // After a checkpoint, trim the WAL file back to 64 MiB so one burst does not keep a huge file.
      this.db.pragma('journal_size_limit = 67108864');
    });
  }

  /** The statement for `sql`, prepared once per connection; rows come back as objects. */
  stmt(sql: string): Statement {
    return this.prepared(sql, 'object');
  }

  /** Like {@link stmt}, but each row comes back as its first column's value. */
  pluck(sql: string): Statement {
    return this.prepared(sql, 'pluck');
  }

  /** Like {@link stmt}, but each row comes back as an array of values (no object per row: faster for wide rows). */
  raw(sql: string): Statement {
    return this.prepared(sql, 'raw');
  }

  private prepared(sql: string, mode: 'object' | 'pluck' | 'raw'): Statement {
    const key = mode === 'object' ? sql : `${mode}:${sql}`;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (mode === 'pluck') statement.pluck();
      else if (mode === 'raw') statement.raw();
      this.statements.set(key, statement);
    }
    return statement;
  }

  /** Runs `work` in a `BEGIN IMMEDIATE` transaction: the write lock is taken first, so no upgrade can fail. */
  write<T>(doing: string, work: () => T): Promise<T> {
    return this.attempt(doing, () => (this.runInTransaction.immediate(work) as T));
  }

  /** Runs `work` in a read transaction: one consistent snapshot for several statements. */
  read<T>(doing: string, work: () => T): Promise<T> {
    return this.attempt(doing, () => (this.runInTransaction.deferred(work) as T));
  }

  /**
   * Runs `work` (which must be synchronous and repeatable: a failed attempt has rolled back), retrying
   * while the database is locked by another connection, up to the busy timeout. Driver errors leave
   * as Spool errors.
   */
  async attempt<T>(doing: string, work: () => T): Promise<T> {
    const deadline = performance.now() + this.busyTimeoutMs;
    let pause = 1;
    for (;;) {
      if (this.closed) throw new StorageClosedError('sqlite');
      try {
        return work();
      } catch (error) {
        // The busy timeout is real time on purpose: a test's manual clock would never let it end.
        if (!isBusy(error) || performance.now() >= deadline) throw translateError(error, doing);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * pause + 1));
      pause = Math.min(MAX_RETRY_PAUSE_MS, pause * 2);
    }
  }

  /** The database's change counter: it moves when another connection commits. */
  dataVersion(): number {
    return this.pluck('PRAGMA data_version').get() as number;
  }

  /** Closes the connection; statements become unusable. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    if (this.owned) this.db.close();
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }
}
