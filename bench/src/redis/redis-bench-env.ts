import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

/** The Redis both Spool and BullMQ run on in one benchmark run. */
export const BENCH_REDIS_URL = process.env.SPOOL_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix, so each scenario starts on empty keys and never touches others'. */
export function benchPrefix(peer: string): string {
  return `bench-${peer}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key whose name starts with `start` (SCAN + UNLINK), after a scenario. */
export async function dropKeys(start: string): Promise<void> {
  const client = new Redis(BENCH_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${start.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 2000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
