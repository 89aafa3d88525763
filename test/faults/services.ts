import { Redis } from 'ioredis';
import pg from 'pg';

/** The PostgreSQL the fault tests use: `SPOOL_TEST_POSTGRES_URL`, or the local server's `test` database. */
export const POSTGRES_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The Redis the fault tests use: `SPOOL_TEST_REDIS_URL`, or the local server. */
export const REDIS_URL = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether PostgreSQL and Redis both answer. When they do not: under CI the suite fails with a clear
 * message; on a developer's machine it is skipped loudly.
 */
export async function servicesAvailable(): Promise<boolean> {
  const problems: string[] = [];
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    problems.push(`PostgreSQL at ${POSTGRES_URL}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(`Redis at ${REDIS_URL}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    redis.disconnect();
  }
  if (problems.length === 0) return true;
  const message = `The fault tests need PostgreSQL and Redis. Not reachable: ${problems.join('; ')}. Start them (bash .ci/services.sh) or set SPOOL_TEST_POSTGRES_URL / SPOOL_TEST_REDIS_URL.`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPING the fault tests: ${message}\n`);
  return false;
}

/** Drops a schema a test made. */
export async function dropPostgresSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Deletes every key of a prefix a test used. */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
