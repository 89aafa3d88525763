import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStorage } from '@spool/redis';
import { REDIS_URL, dropPrefix, freshPrefix, redisAvailable } from './redis-test-env.js';

const available = await redisAvailable();

describe.skipIf(!available)('a Redis URL', () => {
  it('with a database index the server does not have is refused at start, not served from database 0', async () => {
    const url = new URL(REDIS_URL);
    url.pathname = '/99';
    const storage = new RedisStorage({ url: url.toString(), prefix: 'spool-test-db-index' });
    try {
      await expect(storage.init()).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringContaining('database 99') });
    } finally {
      await storage.close();
    }
  });

  it('with a path that is no database index is refused at construction', () => {
    expect(() => new RedisStorage({ url: 'redis://127.0.0.1:6379/spool' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('with an index the server has opens that database', async () => {
    const url = new URL(REDIS_URL);
    url.pathname = '/3';
    const prefix = freshPrefix('db-3');
    const storage = new RedisStorage({ url: url.toString(), prefix });
    const db3 = new Redis(url.toString());
    try {
      await storage.init();
      expect(await db3.exists(...(await db3.keys(`{${prefix}}:*`)))).toBeGreaterThan(0);
    } finally {
      await storage.close();
      await dropPrefix(db3, prefix);
      db3.disconnect();
    }
  });
});
