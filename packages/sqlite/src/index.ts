/**
 * @spool/sqlite: Spool's embedded storage on SQLite (better-sqlite3): WAL, short `BEGIN IMMEDIATE`
 * transactions, safe for several processes on one file.
 */
export { SqliteStorage } from './sqlite-storage.js';
export type { SqliteStorageRuntime } from './sqlite-storage.js';
export type { SqliteStorageOptions, ResolvedSqliteStorageOptions } from './sqlite-options.js';
export { MIGRATIONS } from './migrations.js';
export type { Migration } from './migrations.js';
