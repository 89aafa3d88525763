/**
 * @spool/postgres: Spool's distributed storage on PostgreSQL (node-postgres): many servers on many
 * machines share one database; claims with FOR UPDATE SKIP LOCKED, wake-ups by LISTEN/NOTIFY, and
 * enqueue inside the application's own transaction.
 */
export { PostgresStorage } from './postgres-storage.js';
export type { PostgresStorageRuntime } from './postgres-storage.js';
export type { PostgresStorageOptions, ResolvedPostgresStorageOptions } from './postgres-options.js';
export { MIGRATIONS } from './migrations.js';
export type { Migration } from './migrations.js';
