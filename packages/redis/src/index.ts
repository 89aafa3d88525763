/**
 * @spool/redis: Spool's storage on Redis (ioredis). One Lua script per atomic operation, Redis
 * `TIME` as the clock, pub/sub wake-ups, safe for many processes and machines.
 */
export { RedisStorage, LAYOUT_VERSION, MAX_JOBS_PER_SCRIPT } from './redis-storage.js';
export type { RedisStorageRuntime } from './redis-storage.js';
export type { RedisStorageOptions, ResolvedRedisStorageOptions } from './redis-options.js';
export { keyBase } from './redis-options.js';
export { LIST_SCAN_BUDGET } from './redis-monitoring.js';
export { SCRIPTS } from './scripts/index.js';
export type { LuaScript, ScriptName } from './scripts/index.js';
