/**
 * spool: background job processing for TypeScript and Node.js. Everything public from
 * `@spool/core`, the SQLite storage, storage URLs, and a `Spool` whose storage may be a URL.
 */
export * from '@spool/core';
export { SqliteStorage } from '@spool/sqlite';
export type { SqliteStorageOptions, SqliteStorageRuntime } from '@spool/sqlite';
export { Spool } from './spool.js';
export type { SpoolOptions } from './spool.js';
export { createMetricsHandler } from './metrics-handler.js';
export type { MetricsHandler } from './metrics-handler.js';
export { resolveStorage, redactStorageUrl, SUPPORTED_STORAGE_SCHEMES, STORAGE_URL_EXAMPLES } from './storage-url.js';
export { resolveFileStore, redactFileStoreUrl, FILE_STORE_URL_EXAMPLES } from './file-store-url.js';
export type { StorageUrlRuntime, ResolveStorageOptions } from './storage-url.js';
export { createDashboard, serveDashboard, describeCron, createJobStatus, defaultJobStatusView, JobStatusTokenError } from '@spool/dashboard';
export type { DashboardOptions, DashboardHandler, ServeDashboardOptions, RunningDashboard, JobStatus, JobStatusOptions, JobStatusTokenProblem } from '@spool/dashboard';
