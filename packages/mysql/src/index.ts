/**
 * @spool/mysql: Spool's storage on MySQL 8 and MariaDB (mysql2): many servers on many machines
 * share one database, in tables under a prefix beside the application's own; claims with FOR
 * UPDATE SKIP LOCKED, and enqueue inside the application's own transaction.
 */
export { MySqlStorage } from './mysql-storage.js';
export type { MySqlStorageRuntime } from './mysql-storage.js';
export type { MySqlStorageOptions, ResolvedMySqlStorageOptions } from './mysql-options.js';
export { MIGRATIONS } from './migrations.js';
export type { Migration, MigrationTarget } from './migrations.js';
