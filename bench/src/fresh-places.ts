import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Storage } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';
import { PostgresStorage } from '@spool/postgres';
import { RedisStorage } from '@spool/redis';
import { SqliteStorage } from '@spool/sqlite';
import Database from 'better-sqlite3';

import { BENCH_MYSQL_URL, analyzeTables, dropTables, freshPrefix } from './mysql/mysql-tables.js';
import { BENCH_POSTGRES_URL, analyzeSchema, dropSchema, freshSchema } from './postgres/database.js';
import { BENCH_REDIS_URL, benchPrefix, dropKeys } from './redis/redis-bench-env.js';

/** A fresh place for one benchmark run: handles on it, what to do before the clock starts (statistics), and its removal. */
export interface FreshPlace {
  open: () => Storage;
  prepare: () => Promise<void>;
  dispose: () => Promise<void>;
}

/** A new SQLite database file in a temporary folder, analysed before the clock starts. */
export function freshSqlitePlace(label: string): FreshPlace {
  const dir = mkdtempSync(join(tmpdir(), `spool-${label}-`));
  const path = join(dir, 'bench.db');
  return {
    open: () => new SqliteStorage({ path }),
    prepare: async () => {
      const db = new Database(path);
      db.exec('ANALYZE');
      db.close();
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new PostgreSQL schema, analysed before the clock starts, dropped afterwards. */
export function freshPostgresPlace(label: string): FreshPlace {
  const schema = freshSchema(`spool_${label}`);
  return { open: () => new PostgresStorage({ connectionString: BENCH_POSTGRES_URL, schema }), prepare: () => analyzeSchema(schema), dispose: () => dropSchema(schema) };
}

/** New MySQL tables under a prefix of their own, analysed before the clock starts, dropped afterwards. */
export function freshMySqlPlace(): FreshPlace {
  const prefix = freshPrefix();
  return { open: () => new MySqlStorage({ url: BENCH_MYSQL_URL, prefix }), prepare: () => analyzeTables(prefix), dispose: () => dropTables(prefix) };
}

/** Redis keys under a prefix of their own (nothing to analyse), deleted afterwards. */
export function freshRedisPlace(label: string): FreshPlace {
  const prefix = benchPrefix(label);
  return { open: () => new RedisStorage({ url: BENCH_REDIS_URL, prefix }), prepare: async () => undefined, dispose: () => dropKeys(`{${prefix}}`) };
}
