import type { Redis } from 'ioredis';

import { ConfigError } from '@spool/core';

/** Policies under which Redis may evict any key, including Spool's (which never carry a TTL). */
const EVICTING = /^allkeys-/;

/**
 * Refuses a Redis that may evict Spool's keys: with `maxmemory-policy` `allkeys-lru`, `allkeys-lfu`
 * or `allkeys-random`, Redis deletes keys when memory runs short, which silently loses jobs or
 * leaves indexes pointing at nothing. `noeviction` (the default) and the `volatile-*` policies are
 * safe: Spool sets no TTL, so they never pick its keys (a full Redis then refuses writes instead).
 * Reads the policy from INFO, which works where CONFIG is disabled (managed services).
 */
export async function checkEvictionPolicy(client: Redis): Promise<void> {
  const info = await client.info('memory');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy === undefined || !EVICTING.test(policy)) return;
  throw new ConfigError([
    {
      path: 'Redis maxmemory-policy',
      message:
        `the Redis server evicts keys when memory runs short (maxmemory-policy is "${policy}"), which would silently lose jobs. ` +
        'Set it to noeviction (`CONFIG SET maxmemory-policy noeviction` and `maxmemory-policy noeviction` in redis.conf), ' +
        'or give Spool a Redis of its own; pass `allowEvictionPolicy: true` only if you accept losing jobs.',
    },
  ]);
}
