import { afterAll, describe, expect, it } from 'vitest';

import { ManualClock, Spool } from '@spool/core';
import { MIGRATIONS, MySqlStorage } from '@spool/mysql';

import { MYSQL_URL, dropPrefixes, freshPrefix, mysqlAvailable, sql } from './helpers.js';

// Migration 2 adds the recurring history. Tables at version 1 hold recurring jobs and their jobs
// already: they must come through, and the history start from the next firing.
const available = await mysqlAvailable();
const prefix = freshPrefix('spool_rh');

afterAll(async () => {
  if (available) await dropPrefixes([prefix]);
});

describe.skipIf(!available)('MySQL migration 2: the recurring history', () => {
  it('upgrades tables at version 1, keeping recurring jobs, and records the firings after it', async () => {
    const clock = new ManualClock(Date.parse('2026-01-05T09:30:00Z'));
    const first = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 2 }, { clock });
    const before = new Spool({ storage: first }, { clock });
    await before.recurring.addOrUpdate('hourly', 'reports.build', {}, { queue: 'default', attempts: 10, timeout: null, cron: '0 * * * *' });
    clock.set(new Date('2026-01-05T10:00:05Z'));
    const due = await first.recurringDue({ limit: 10 });
    for (const record of due.records) await before.recurring.fireDue(record, due.now);
    await before.close();
    // As a database migrated by version 1 only: no history table (nor what later migrations add).
    await sql(`DROP TABLE \`${prefix}recurring_history\`, \`${prefix}limits\`, \`${prefix}gates\`, \`${prefix}metrics\`, \`${prefix}audit\``);
    await sql(`ALTER TABLE \`${prefix}jobs\` DROP COLUMN held_gates, DROP COLUMN tail, DROP COLUMN tail_reason, DROP COLUMN tail_server, DROP KEY jobs_keyed, DROP COLUMN limit_key`);
    await sql(`DROP TABLE \`${prefix}batches\`, \`${prefix}dependencies\``);
    await sql(`ALTER TABLE \`${prefix}jobs\` DROP KEY jobs_batch, DROP COLUMN flow, DROP COLUMN batch_id, DROP COLUMN pending_parents`);
    await sql(`DELETE FROM \`${prefix}migrations\` WHERE version >= 2`);

    const refusing = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 2, migrate: false }, { clock });
    await expect(refusing.init()).rejects.toThrow(`need migrations ${MIGRATIONS.map((m) => m.version).filter((v) => v > 1).join(", ")}`);
    await refusing.close();

    const upgraded = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 2, migrate: false }, { clock });
    try {
      expect(await upgraded.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 1) });
      await upgraded.init();
      expect(await upgraded.recurringGet({ id: 'hourly' })).toMatchObject({ id: 'hourly', runs: 1 });
      expect(await upgraded.recurringHistory({ id: 'hourly', limit: 10 })).toEqual([]);
      const after = new Spool({ storage: upgraded }, { clock });
      clock.set(new Date('2026-01-05T11:00:05Z'));
      const next = await upgraded.recurringDue({ limit: 10 });
      for (const record of next.records) await after.recurring.fireDue(record, next.now);
      const history = await upgraded.recurringHistory({ id: 'hourly', limit: 10 });
      expect(history.map((entry) => [entry.event, entry.occurrence?.toISOString()])).toEqual([['fired', '2026-01-05T11:00:00.000Z']]);
    } finally {
      await upgraded.close();
    }
  });
});
