import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

/** The Redis the tests use: `SPOOL_TEST_REDIS_URL`, or the local server. */
export const REDIS_URL = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether the test Redis answers. When it does not, suites fail under CI (with how to start it) and
 * are skipped elsewhere, loudly.
 */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    const message = `Redis is not reachable at ${REDIS_URL}: start one (redis-server, or docker run -p 6379:6379 redis:7) or set SPOOL_TEST_REDIS_URL.`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n*** SKIPPING the @spool/redis tests: ${message}\n`);
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A fresh key prefix for one test file or test, so files run in parallel without sharing keys. */
export function freshPrefix(label: string): string {
  return `spool-test-${label}-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key of a prefix (SCAN + UNLINK over `{prefix}:*` only). */
export async function dropPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}
