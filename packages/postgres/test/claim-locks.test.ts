import { afterAll, describe, expect, it } from 'vitest';

import { PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, newJob, postgresAvailable, sql } from './helpers.js';

// Locking a row writes it (its xmax, and a WAL record), so a claim must lock only the jobs it takes.
// A row that was locked and not updated keeps the locker's transaction id in xmax after the commit:
// waiting jobs with xmax set are rows a claim locked for nothing.

const available = await postgresAvailable();
const schemas: string[] = [];

afterAll(async () => {
  await dropSchemas(schemas);
});

describe.skipIf(!available)('the PostgreSQL claim', () => {
  it('locks only the jobs it claims when the queue holds jobs of many names', async () => {
    const schema = freshSchema('spool_claim_locks');
    schemas.push(schema);
    const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: 2 });
    try {
      await storage.init();
      const names = Array.from({ length: 10 }, (_, i) => `locks.job${i}`);
      await storage.jobsCreate({ jobs: names.flatMap((name) => Array.from({ length: 20 }, () => newJob({ name }))) });
      for (const claim of [{ names }, { names: null }]) {
        const fetched = await storage.jobsFetch({ queues: ['default'], ...claim, limit: 5, serverId: 'server-1', leaseMs: 60_000 });
        expect(fetched).toHaveLength(5);
        const { rows } = await sql(`SELECT count(*) AS n FROM "${schema}".jobs WHERE state = 'enqueued' AND xmax <> 0`);
        expect({ claim: claim.names === null ? 'without names' : 'with names', lockedForNothing: Number(rows[0].n) }).toEqual({
          claim: claim.names === null ? 'without names' : 'with names',
          lockedForNothing: 0,
        });
      }
    } finally {
      await storage.close();
    }
  });
});
