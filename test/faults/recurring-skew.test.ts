import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Clock, Server } from '@spool/core';
import { Spool, defineJob } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';
import { POSTGRES_URL, dropPostgresSchema, servicesAvailable } from './services.js';

// A recurring job every second on three servers sharing one PostgreSQL schema, whose process clocks
// disagree by 20 s (one 10 s behind, one 10 s ahead), one of them restarted in between: each
// occurrence is fired once, and none before its time by the storage's clock.
const available = await servicesAvailable();

const skewed = (offsetMs: number): Clock => ({ now: () => Date.now() + offsetMs });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('a recurring job on servers whose clocks disagree', () => {
  it('fires every occurrence once, never early, through a restart', async () => {
    const schema = `spool_skew_${randomBytes(5).toString('hex')}`;
    const tick = defineJob('skew.tick', () => null);
    const open = (clock: Clock) => new Spool({ storage: new PostgresStorage({ connectionString: POSTGRES_URL, schema }), jobs: [tick] }, { clock });
    const spools = [open(skewed(0)), open(skewed(-10_000)), open(skewed(10_000))];
    const options = { handleSignals: false, recurringPollInterval: 100, pollInterval: 50 } as const;
    const servers: Server[] = [];
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    try {
      await spools[0]!.recurring.addOrUpdate('skew.every-second', tick, null, { cron: '* * * * * *' });
      for (const spool of spools) servers.push(await spool.startServer(options));
      await sleep(2500);
      await servers[1]!.stop();
      servers[1] = await spools[1]!.startServer(options);
      await sleep(2500);
      for (const server of servers) await server.stop();

      await admin.connect();
      const { rows } = await admin.query<{ occurrence: string; jobs: string; created: string }>(
        `SELECT (parameters::jsonb)->>'recurringOccurrence' AS occurrence, count(*) AS jobs, min(created_at) AS created
         FROM "${schema}".jobs WHERE recurring_id = 'skew.every-second' GROUP BY 1 ORDER BY 1`,
      );
      const twice = rows.filter((r) => Number(r.jobs) > 1).map((r) => `${r.occurrence} x${r.jobs}`);
      const early = rows.filter((r) => Number(r.created) < Date.parse(r.occurrence)).map((r) => r.occurrence);
      console.log(`${rows.length} occurrences fired, ${twice.length} more than once, ${early.length} early`);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(twice).toEqual([]);
      expect(early).toEqual([]);
    } finally {
      for (const server of servers) await server.stop();
      await admin.end().catch(() => undefined);
      for (const spool of spools) await spool.close();
      await dropPostgresSchema(schema);
    }
  });
});
