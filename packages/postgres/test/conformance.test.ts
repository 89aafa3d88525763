import { afterEach, describe, it } from 'vitest';

import { runStorageConformance } from '@spool/conformance';
import type { Clock, Storage } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, postgresAvailable, sql } from './helpers.js';

const available = await postgresAvailable();
const schemas: string[] = [];

afterEach(async () => {
  await dropSchemas(schemas.splice(0));
});

function schemaOf(storage: Storage): string {
  return (storage as PostgresStorage).options.schema;
}

async function create(clock: Clock, generalWritesOnly: boolean): Promise<Storage> {
  const schema = freshSchema('spool_conf');
  schemas.push(schema);
  const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: 4, generalWritesOnly }, { clock });
  await storage.init();
  return storage;
}

if (available) {
  // A schema per test: files and tests never see each other's data; each is dropped after its test.
  runStorageConformance({
    name: 'postgres',
    create: ({ clock }) => create(clock, false),
    createGeneralWritesOnly: ({ clock }) => create(clock, true),
    async connect(storage, { clock }) {
      const other = new PostgresStorage({ connectionString: POSTGRES_URL, schema: schemaOf(storage), poolSize: 4 }, { clock });
      await other.init();
      return other;
    },
    async corruptJobArgs(storage, id) {
      await sql(`UPDATE "${schemaOf(storage)}".jobs SET args = $1 WHERE id = $2`, ['{"n": 2,', id]);
    },
  });
} else {
  describe('postgres conformance', () => {
    it.skip('needs PostgreSQL (see the warning above)', () => undefined);
  });
}
