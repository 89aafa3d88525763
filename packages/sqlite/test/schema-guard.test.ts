import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '@spool/sqlite';

let dir: string;

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite schema guard', () => {
  it('refuses a database that a newer version migrated, with or without migrate', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-schema-'));
    const path = join(dir, 'spool.db');
    const first = new SqliteStorage({ path });
    await first.init();
    await first.close();
    const db = new Database(path);
    db.prepare("INSERT INTO spool_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)").run();
    db.close();
    for (const migrate of [true, false]) {
      const storage = new SqliteStorage({ path, migrate });
      try {
        await expect(storage.init()).rejects.toMatchObject({ code: 'ERR_SCHEMA_TOO_NEW', message: expect.stringContaining('999') });
      } finally {
        await storage.close();
      }
    }
  });
});
