import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool, defineJob } from '@spool/core';
import { RedisStorage } from '@spool/redis';

import { REDIS_URL, dropPrefix, freshPrefix, redisAvailable } from './redis-test-env.js';

const available = await redisAvailable();

describe.skipIf(!available)('dead letters on Redis (capability deadLetters: false)', () => {
  const prefix = freshPrefix('dead');
  let client: Redis;
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await dropPrefix(client, prefix);
    client.disconnect();
  });

  it('refuses to start a server whose definitions route to the dead letters, and runs one whose do not', async () => {
    const routed = defineJob('payments.charge', async () => 'ok', { onExhausted: 'dead-letter' });
    const plain = defineJob('payments.refund', async () => 'ok');
    const refusing = new Spool({ storage: new RedisStorage({ url: REDIS_URL, prefix }), jobs: [routed, plain] });
    await expect(refusing.startServer()).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING', message: expect.stringContaining('payments.charge') });
    await expect(refusing.deadLetters.list()).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
    await refusing.close();
    const running = new Spool({ storage: new RedisStorage({ url: REDIS_URL, prefix }), jobs: [plain] });
    const server = await running.startServer();
    await server.stop();
    await running.close();
  });
});
