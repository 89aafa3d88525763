import { afterEach, describe, it } from 'vitest';

import { runStorageConformance } from '@spool/conformance';
import type { Clock, Storage } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';

import { MYSQL_URL, dropPrefixes, freshPrefix, mysqlAvailable, sql } from './helpers.js';

const available = await mysqlAvailable();
const prefixes: string[] = [];

afterEach(async () => {
  await dropPrefixes(prefixes.splice(0));
});

function prefixOf(storage: Storage): string {
  return (storage as MySqlStorage).options.prefix;
}

async function create(clock: Clock, generalWritesOnly: boolean): Promise<Storage> {
  const prefix = freshPrefix('conf');
  prefixes.push(prefix);
  const storage = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 4, generalWritesOnly }, { clock });
  await storage.init();
  return storage;
}

if (available) {
  // A table prefix per test: tests never see each other's data; its tables are dropped after it.
  runStorageConformance({
    name: 'mysql',
    create: ({ clock }) => create(clock, false),
    createGeneralWritesOnly: ({ clock }) => create(clock, true),
    async connect(storage, { clock }) {
      const other = new MySqlStorage({ url: MYSQL_URL, prefix: prefixOf(storage), poolSize: 4 }, { clock });
      await other.init();
      return other;
    },
    async corruptJobArgs(storage, id) {
      await sql(`UPDATE \`${prefixOf(storage)}jobs\` SET args = ? WHERE id = ?`, ['{"n": 2,', id]);
    },
  });
} else {
  describe('mysql conformance', () => {
    it.skip('needs MySQL or MariaDB (see the warning above)', () => undefined);
  });
}
