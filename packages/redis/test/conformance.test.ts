import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, it } from 'vitest';

import { runStorageConformance } from '@spool/conformance';
import type { Storage } from '@spool/core';
import { RedisStorage } from '@spool/redis';

import { REDIS_URL, dropPrefix, freshPrefix, redisAvailable } from './redis-test-env.js';

const available = await redisAvailable();
const admin = new Redis(REDIS_URL, { lazyConnect: true });
const prefixes: string[] = [];

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await dropPrefix(admin, prefix);
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
