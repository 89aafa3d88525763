import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { runStorageConformance } from '@spool/conformance';
import type { Storage } from '@spool/core';
import { RedisStorage } from '@spool/redis';

import { keyIndexAgainstJobs } from './key-index-check.js';
import { REDIS_URL, dropPrefix, freshPrefix, redisAvailable } from './redis-test-env.js';

const available = await redisAvailable();
const admin = new Redis(REDIS_URL, { lazyConnect: true });
const prefixes: string[] = [];

// Whatever a test did to its jobs, the key index holds exactly the enqueued jobs with a limit key.
afterEach(async () => {
  const used = prefixes.splice(0);
  try {
    for (const prefix of used) {
      const { stored, indexed } = await keyIndexAgainstJobs(admin, prefix);
      expect(indexed, `the key index of ${prefix}`).toEqual(stored);
    }
  } finally {
    for (const prefix of used) await dropPrefix(admin, prefix);
  }
});

afterAll(() => {
  admin.disconnect();
});

if (available) {
  runStorageConformance({
    name: 'redis',
    async create({ clock }) {
      const prefix = freshPrefix('conformance');
      prefixes.push(prefix);
      const storage = new RedisStorage({ url: REDIS_URL, prefix }, { clock });
      await storage.init();
      return storage;
    },
    async connect(storage, { clock }) {
      const other = new RedisStorage({ url: REDIS_URL, prefix: (storage as RedisStorage).options.prefix }, { clock });
      await other.init();
      return other;
    },
    async corruptJobArgs(storage: Storage, id: string) {
      await admin.hset(`${(storage as RedisStorage).keyBase}job:${id}`, 'args', '{"n": 2,');
    },
  });
} else {
  describe.skip('storage conformance: redis (Redis not reachable)', () => {
    it('needs Redis', () => undefined);
  });
}
