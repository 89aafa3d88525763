import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach } from 'vitest';

import { runStorageConformance } from '@spool/conformance';
import type { Clock, Storage } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

const directories: string[] = [];

afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pathOf(storage: Storage): string {
  return (storage as SqliteStorage).options.path;
}

async function create(clock: Clock, generalWritesOnly: boolean): Promise<Storage> {
  const dir = mkdtempSync(join(tmpdir(), 'spool-sqlite-conformance-'));
  directories.push(dir);
  const storage = new SqliteStorage({ path: join(dir, 'spool.db'), generalWritesOnly }, { clock });
  await storage.init();
  return storage;
}

runStorageConformance({
  name: 'sqlite',
  create: ({ clock }) => create(clock, false),
  createGeneralWritesOnly: ({ clock }) => create(clock, true),
  async connect(storage, { clock }) {
    const other = new SqliteStorage({ path: pathOf(storage) }, { clock });
    await other.init();
    return other;
  },
  async corruptJobArgs(storage, id) {
    const db = new Database(pathOf(storage));
    try {
      db.prepare('UPDATE spool_jobs SET args = ? WHERE id = ?').run('{"n": 2,', id);
    } finally {
      db.close();
    }
  },
});
