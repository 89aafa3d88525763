import type { Redis } from 'ioredis';

import { ConfigError } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';

/** Options of a {@link RedisStorage}. */
export interface RedisStorageOptions {
  /**
   * A Redis URL (`redis://[:password@]host:port[/db]`, `rediss://` for TLS). A `prefix` query
   * parameter sets the key prefix. Default `redis://127.0.0.1:6379` when no `client` is given.
   */
  url?: string;
  /** An ioredis client to use instead of a URL. The storage does not close it; it opens one more connection (a duplicate) for events. */
  client?: Redis;
  /** Keys are `{<prefix>}:...`: one prefix per Spool installation on a Redis. Default 'spool'. */
  prefix?: string;
  /**
   * Start even when Redis's `maxmemory-policy` may evict Spool's keys (`allkeys-*`). Default false:
   * an evicted key is a lost or corrupted job, so the storage refuses such a Redis.
   */
  allowEvictionPolicy?: boolean;
}

/** Redis storage options after defaults. */
export interface ResolvedRedisStorageOptions {
  url: string | null;
  client: Redis | null;
  prefix: string;
  allowEvictionPolicy: boolean;
}

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

function isRedisClient(value: unknown): string | null {
  return typeof value === 'object' && value !== null && typeof (value as { evalsha?: unknown }).evalsha === 'function' && typeof (value as { duplicate?: unknown }).duplicate === 'function'
    ? null
    : 'expected an ioredis client (new Redis(...))';
}

/** Validates Redis storage options, takes `prefix` from the URL's query when given there, and applies defaults. */
export function resolveRedisOptions(options: RedisStorageOptions = {}): ResolvedRedisStorageOptions {
  const o = resolveOptions<{ url?: string; client?: Redis; prefix?: string; allowEvictionPolicy: boolean }>(
    {
      url: { kind: 'string', optional: true, pattern: /^rediss?:\/\//i, patternHint: 'a URL such as redis://127.0.0.1:6379' },
      client: { kind: 'any', optional: true, check: isRedisClient },
      prefix: { kind: 'string', optional: true, pattern: PREFIX_PATTERN, patternHint: 'letters, digits and _ . : - (at most 100 characters)' },
      allowEvictionPolicy: { kind: 'boolean', default: false },
    },
    options,
    'Redis storage options',
  );
  let url = o.url ?? null;
  let prefix = o.prefix ?? null;
  if (url !== null) {
    const parsed = new URL(url);
    if (!/^\/?\d*$/.test(parsed.pathname)) {
      throw new ConfigError([
        { path: 'Redis storage options.url', message: `expected a database index after the host (redis://host:6379/0), got ${JSON.stringify(parsed.pathname)}` },
      ]);
    }
    const fromUrl = parsed.searchParams.get('prefix');
    if (fromUrl !== null) {
      parsed.searchParams.delete('prefix');
      url = parsed.toString();
      prefix ??= fromUrl;
    }
  }
  if (prefix !== null && !PREFIX_PATTERN.test(prefix)) {
    return resolveRedisOptions({ ...options, prefix });
  }
  if (url === null && !o.client) url = 'redis://127.0.0.1:6379';
  return Object.freeze({ url, client: o.client ?? null, prefix: prefix ?? 'spool', allowEvictionPolicy: o.allowEvictionPolicy });
}

/** The key base of a prefix: `{prefix}:`. The braces are a hash tag: Redis Cluster keeps every key of one storage in one slot. */
export function keyBase(prefix: string): string {
  return `{${prefix}}:`;
}
