import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import type { Storage, StorageCapabilities } from '@spool/core';
import { MemoryStorage } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';
import { PostgresStorage } from '@spool/postgres';
import { RedisStorage } from '@spool/redis';
import { SqliteStorage } from '@spool/sqlite';

// The storage contract's capability table is what each storage declares: read both and compare.
// Constructing a storage connects to nothing (the network storages connect in init()).

const CONTRACT = new URL('../../docs/storage-contract.md', import.meta.url);

/** The capability table: capability -> storage column -> cell. */
function capabilityTable(): Map<string, Map<string, string>> {
  const text = readFileSync(CONTRACT, 'utf8');
  const start = text.indexOf('## Capabilities');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  const header = rows[0]!.split('|').slice(2, -1).map((cell) => cell.trim());
  const table = new Map<string, Map<string, string>>();
  for (const row of rows.slice(2)) {
    const cells = row.split('|').slice(1, -1).map((cell) => cell.trim());
    const name = cells[0]!.replace(/`/g, '');
    table.set(name, new Map(header.map((storage, i) => [storage, cells[i + 1]!])));
  }
  return table;
}

/** What a cell says: a leading yes/no, or the value in backticks. */
function cellValue(cell: string): boolean | string {
  if (/^yes\b/.test(cell)) return true;
  if (/^no\b/.test(cell)) return false;
  const quoted = /^`([^`]+)`/.exec(cell);
  if (quoted) return quoted[1]!;
  throw new Error(`Cannot read the capability cell "${cell}"`);
}

describe('the storage contract documents every storage capability as declared', () => {
  it('has one column per storage and one row per capability, matching the code', async () => {
    // A database file: a ':memory:' database is, rightly, not durable.
    const dir = mkdtempSync(join(tmpdir(), 'spool-capabilities-'));
    const storages: Record<string, Storage> = {
      memory: new MemoryStorage(),
      sqlite: new SqliteStorage({ path: join(dir, 'spool.db') }),
      postgres: new PostgresStorage({ connectionString: 'postgres://127.0.0.1:5432/test' }),
      redis: new RedisStorage({ url: 'redis://127.0.0.1:6379' }),
      mysql: new MySqlStorage({ url: 'mysql://127.0.0.1:3306/test' }),
    };
    const table = capabilityTable();
    const capabilities = Object.keys(storages.memory!.capabilities) as Array<keyof StorageCapabilities>;
    expect([...table.keys()].sort()).toEqual([...capabilities].sort());
    for (const [name, storage] of Object.entries(storages)) {
      for (const capability of capabilities) {
        const cell = table.get(capability)!.get(name);
        expect(cell, `${capability} of ${name}`).toBeDefined();
        expect(cellValue(cell!), `${capability} of ${name}`).toBe(storage.capabilities[capability]);
      }
    }
    for (const storage of Object.values(storages)) await storage.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
});
