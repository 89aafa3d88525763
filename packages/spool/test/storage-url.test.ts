import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { defineJob, MemoryStorage, redactStorageUrl, resolveStorage, Spool, SqliteStorage, SUPPORTED_STORAGE_SCHEMES } from 'spool';
import type { SpoolError } from 'spool';
import type { MySqlStorage } from '@spool/mysql';

import { runCli, tempDir } from './cli-harness.js';

function thrown(fn: () => unknown): SpoolError {
  try {
    fn();
  } catch (error) {
    return error as SpoolError;
  }
  throw new Error('expected an error');
}

describe('resolveStorage', () => {
  it('opens a memory storage for memory:', () => {
    expect(resolveStorage('memory:')).toBeInstanceOf(MemoryStorage);
  });

  it('opens an SQLite storage for a relative, an absolute and an in-memory sqlite: URL', async () => {
    const { dir, remove } = tempDir();
    try {
      for (const url of [`sqlite:${join(dir, 'a.db')}`, `sqlite://${join(dir, 'b.db')}`, 'sqlite::memory:']) {
        const storage = resolveStorage(url);
        expect(storage).toBeInstanceOf(SqliteStorage);
        await storage.init();
        await storage.close();
      }
    } finally {
      remove();
    }
  });

  it('creates the folder of an SQLite file', async () => {
    const { dir, remove } = tempDir();
    try {
      const storage = resolveStorage(`sqlite:${join(dir, 'nested', 'deeper', 'spool.db')}`);
      await storage.init();
      expect((await storage.monitoring.stats()).states.enqueued).toBe(0);
      await storage.close();
    } finally {
      remove();
    }
  });

  it('rejects an unknown scheme with ERR_UNSUPPORTED_STORAGE listing the supported schemes', () => {
    const error = thrown(() => resolveStorage('oracle://app:secret@localhost/db'));
    expect(error.code).toBe('ERR_UNSUPPORTED_STORAGE');
    expect(error.message).toContain('Supported schemes: memory:, sqlite:, postgres:, postgresql:, redis:, rediss:, mysql:, mariadb:');
    expect(error.message).not.toContain('secret');
    expect(SUPPORTED_STORAGE_SCHEMES).toEqual(['memory:', 'sqlite:', 'postgres:', 'postgresql:', 'redis:', 'rediss:', 'mysql:', 'mariadb:']);
  });

  it('opens PostgreSQL and Redis storages from their URLs', async () => {
    const postgres = resolveStorage('postgres://postgres@127.0.0.1:5432/test?schema=spool_url_test');
    expect(postgres.kind).toBe('postgres');
    const redis = resolveStorage('redis://127.0.0.1:6379');
    expect(redis.kind).toBe('redis');
    await Promise.all([postgres.close(), redis.close()]);
  });

  it('opens MySQL and MariaDB storages from their URLs, the prefix naming every table', async () => {
    const mysqlStorage = resolveStorage('mysql://root@127.0.0.1:3306/test?prefix=spool_url_');
    expect(mysqlStorage.kind).toBe('mysql');
    expect((mysqlStorage as MySqlStorage).options.prefix).toBe('spool_url_');
    // The prefix is Spool's parameter: the driver never sees it.
    expect(new URL((mysqlStorage as MySqlStorage).options.url).searchParams.has('prefix')).toBe(false);
    const mariadb = resolveStorage('mariadb://root@127.0.0.1:3306/test');
    expect(mariadb.kind).toBe('mysql');
    expect((mariadb as MySqlStorage).options.prefix).toBe('spool_');
    await Promise.all([mysqlStorage.close(), mariadb.close()]);
  });

  it('hides the password of a URL in messages, also with an empty user name', () => {
    expect(redactStorageUrl('postgres://app:secret@db/jobs')).toBe('postgres://app:***@db/jobs');
    expect(redactStorageUrl('redis://:secret@cache:6379')).toBe('redis://:***@cache:6379');
  });

  it('points a bare file path to the sqlite: scheme', () => {
    expect(thrown(() => resolveStorage('./data/spool.db')).message).toContain('sqlite:./data/spool.db');
  });

  it('rejects sqlite: without a file', () => {
    expect(thrown(() => resolveStorage('sqlite:')).code).toBe('ERR_CONFIG');
  });
});

describe('Spool from the spool package', () => {
  it('accepts a storage URL and runs jobs on it', async () => {
    const double = defineJob('math.double', (args: { n: number }) => args.n * 2);
    const spool = new Spool({ storage: 'memory:', jobs: [double] });
    expect(spool.storage).toBeInstanceOf(MemoryStorage);
    const id = await spool.enqueue(double, { n: 21 });
    const { job } = await spool.perform(id);
    expect(job?.result).toBe(42);
    await spool.close();
  });

  it('still accepts a storage object', async () => {
    const storage = new MemoryStorage();
    const spool = new Spool({ storage });
    expect(spool.storage).toBe(storage);
    await spool.close();
  });
});

describe('the CLI with an unsupported storage', () => {
  it('prints error [ERR_UNSUPPORTED_STORAGE] without a stack trace and exits with code 1', async () => {
    const run = await runCli(['stats', '--storage', 'mongodb://localhost/jobs']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error \[ERR_UNSUPPORTED_STORAGE\]: Unsupported storage URL "mongodb:\/\/localhost\/jobs"\. Supported schemes: memory:, sqlite:/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('reads the storage URL from SPOOL_STORAGE', async () => {
    const run = await runCli(['stats'], { env: { SPOOL_STORAGE: 'oracle://localhost/db' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [ERR_UNSUPPORTED_STORAGE]: Unsupported storage URL "oracle://localhost/db"');
  });

  it('prefers --storage over SPOOL_STORAGE', async () => {
    const run = await runCli(['stats', '--json', '--storage', 'memory:'], { env: { SPOOL_STORAGE: 'oracle://localhost/db' } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).states.enqueued).toBe(0);
  });
});

describe('the CLI on MySQL', () => {
  it('migrates and reads the tables a mysql:// URL names with its prefix', async () => {
    const prefix = `spool_cli_${process.pid}_`;
    const url = `mysql://root@127.0.0.1:3306/test?prefix=${prefix}`;
    try {
      const migrate = await runCli(['migrate', '--storage', url]);
      expect(migrate.code, migrate.stderr).toBe(0);
      const stats = await runCli(['stats', '--json', '--storage', url]);
      expect(stats.code, stats.stderr).toBe(0);
      expect(JSON.parse(stats.stdout).states.enqueued).toBe(0);
    } finally {
      const storage = resolveStorage(url) as MySqlStorage;
      const [tables] = await storage.pool.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?', [
        `${prefix.replace(/_/g, '\\_')}%`,
      ]);
      const names = (tables as Array<{ name: string }>).map((t) => `\`${t.name}\``);
      if (names.length > 0) await storage.pool.query(`DROP TABLE ${names.join(', ')}`);
      await storage.close();
    }
  });
});

describe('a malformed PostgreSQL URL', () => {
  const secret = 's3cret-pa@ss';
  const url = `postgres://spool:${secret}@db.internal:notaport/jobs`;

  /** Every string an error carries, down its cause chain and in its own properties. */
  function everyString(error: unknown, depth = 0): string {
    if (error === null || typeof error !== 'object' || depth > 5) return String(error);
    const own = Object.getOwnPropertyNames(error).map((key) => {
      const value = (error as Record<string, unknown>)[key];
      return typeof value === 'object' ? everyString(value, depth + 1) : String(value);
    });
    return own.join('\n');
  }

  it('is refused with ERR_CONFIG, and no message or property of the error carries the password', () => {
    let error: unknown;
    try {
      resolveStorage(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'ERR_CONFIG' });
    expect(everyString(error)).not.toContain('s3cret');
    expect(everyString(error)).not.toContain('pa@ss');
  });

  it('hides a password that holds an @ when a URL is shown', () => {
    expect(redactStorageUrl(url)).toBe('postgres://spool:***@db.internal:notaport/jobs');
    expect(redactStorageUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactStorageUrl('postgres://user@host/db')).toBe('postgres://user@host/db');
  });
});
