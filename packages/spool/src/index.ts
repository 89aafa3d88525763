/**
 * spool: background job processing for TypeScript and Node.js. Everything public from
 * `@spool/core`, the SQLite storage, storage URLs, and a `Spool` whose storage may be a URL.
 */
export * from '@spool/core';
export { SqliteStorage } from '@spool/sqlite';
export type { SqliteStorageOptions, SqliteStorageRuntime } from '@spool/sqlite';
export { Spool } from './spool.js';
export type { SpoolOptions } from './spool.js';
export { resolveStorage, redactStorageUrl, SUPPORTED_STORAGE_SCHEMES, STORAGE_URL_EXAMPLES } from './storage-url.js';
export type { StorageUrlRuntime, ResolveStorageOptions } from './storage-url.js';
export { createDashboard, serveDashboard, describeCron } from '@spool/dashboard';
export type { DashboardOptions, DashboardHandler, ServeDashboardOptions, RunningDashboard } from '@spool/dashboard';
export { RedisStorage } from '@spool/redis';
export { PostgresStorage } from '@spool/postgres';
export { MySqlStorage } from '@spool/mysql';
export type { MySqlStorageOptions } from '@spool/mysql';
