import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStorage } from '@spool/postgres';
import { POSTGRES_URL, dropSchemas, freshSchema, postgresAvailable, sql } from './helpers.js';

const available = await postgresAvailable();
const schemas: string[] = [];

afterAll(async () => {
  await dropSchemas(schemas);
});

function schema(): string {
  const name = freshSchema('spool_guard');
  schemas.push(name);
  return name;
}

describe.skipIf(!available)('PostgreSQL migration guards', () => {
  it('waits a bounded time while another session holds the migration lock, then fails retryably naming it', async () => {
    const name = schema();
    const holder = new pg.Client({ connectionString: POSTGRES_URL, application_name: 'stuck-migrator' });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`spool-migrate:${name}`]);
    const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema: name, migrationLockTimeout: 300 });
    try {
      const error = await storage.init().then(
        () => null,
        (e: unknown) => e as { code?: string; retryable?: boolean; message: string },
      );
      expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: true });
      expect(error!.message).toContain('migration lock');
      expect(error!.message).toContain('stuck-migrator');
      await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`spool-migrate:${name}`]);
      // The failed start is not remembered: the next call migrates.
      await storage.init();
      expect((await storage.monitoring.stats()).states.enqueued).toBe(0);
    } finally {
      await holder.end();
      await storage.close();
    }
  });

  it('starts once for calls made together, and starts again after a failed start instead of remembering it', async () => {
    const name = schema();
    const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema: name, migrate: false });
    try {
      // Two calls while the schema is missing: one start, one failure, seen by both.
      const [first, second] = await Promise.allSettled([storage.init(), storage.init()]);
      expect(first).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORAGE' } });
      expect(second).toMatchObject({ status: 'rejected', reason: (first as PromiseRejectedResult).reason });
      // The schema is migrated by someone else (`spool migrate`): the same storage now starts.
      const migrator = new PostgresStorage({ connectionString: POSTGRES_URL, schema: name });
      await migrator.migrate();
      await migrator.close();
      await storage.init();
      expect((await storage.monitoring.stats()).states.enqueued).toBe(0);
    } finally {
      await storage.close();
    }
  });

  it('refuses a schema that a newer version migrated, with or without migrate', async () => {
    const name = schema();
    const first = new PostgresStorage({ connectionString: POSTGRES_URL, schema: name });
    await first.init();
    await first.close();
    await sql(`INSERT INTO "${name}".migrations (version, name, applied_at) VALUES (999, 'from the future', 0)`);
    for (const migrate of [true, false]) {
      const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema: name, migrate });
      try {
        await expect(storage.init()).rejects.toMatchObject({ code: 'ERR_SCHEMA_TOO_NEW', message: expect.stringContaining('999') });
      } finally {
        await storage.close();
      }
    }
  });
});
