import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock, Spool } from '@spool/core';
import { MIGRATIONS, PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, postgresAvailable, sql } from './helpers.js';

// Migration 8 gave occurrence keys to new jobs only; migration 11 gives them to the jobs the
// scheduler created before it, so a backfill does not run those occurrences again.
const available = await postgresAvailable();
const schemas: string[] = [];
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const handle of open.splice(0).reverse()) await handle.close();
  await dropSchemas(schemas.splice(0));
});

const at = (iso: string) => new Date(iso);

describe.skipIf(!available)('PostgreSQL migration 11: the occurrence keys of jobs fired before migration 8', () => {
  it('keys the jobs the scheduler created, not triggered ones, one per occurrence, leaving held occurrences alone', async () => {
    const schema = freshSchema('spool_occkeys');
    schemas.push(schema);
    const clock = new ManualClock(Date.parse('2026-01-05T09:30:00Z'));
    const first = new PostgresStorage({ connectionString: POSTGRES_URL, schema }, { clock });
    const spool = new Spool({ storage: first }, { clock });
    await spool.recurring.addOrUpdate('hourly', 'reports.build', {}, { queue: 'default', attempts: 10, timeout: null, cron: '0 * * * *' });
    for (const hour of ['10', '11']) {
      clock.set(at(`2026-01-05T${hour}:00:05Z`));
      const { now, records } = await first.recurringDue({ limit: 10 });
      for (const record of records) await spool.recurring.fireDue(record, now);
    }
    clock.set(at('2026-01-05T11:10:00Z'));
    const triggered = await spool.recurring.trigger('hourly');
    // As the data was before migration 8: no job holds a key. Then jobs that only old code could make:
    // a second job for 10:00, and a job for 09:00 whose creation entry is in the history table (as
    // before migration 3); neither holds a key.
    const s = `"${schema}"`;
    await sql(`UPDATE ${s}.jobs SET occurrence_at = NULL`);
    const copy = async (id: string, iso: string, reasonInRow: boolean) => {
      await sql(
        `INSERT INTO ${s}.jobs SELECT (json_populate_record(j, json_build_object('id', $1::text, 'parameters', json_build_object('recurringOccurrence', $2::text)::text,
           'created_state', CASE WHEN $3 THEN 'enqueued' END, 'created_reason', CASE WHEN $3 THEN 'Recurring job hourly: occurrence of ' || $2 END))).*
         FROM ${s}.jobs j WHERE (j.parameters::jsonb)->>'recurringOccurrence' = '2026-01-05T10:00:00.000Z' LIMIT 1`,
        [id, iso, reasonInRow],
      );
      if (!reasonInRow) {
        await sql(`INSERT INTO ${s}.history (job_id, state, reason, at) VALUES ($1, 'enqueued', 'Recurring job hourly: occurrence of ' || $2, 0)`, [id, iso]);
      }
    };
    await copy('01ffffff-0000-7000-8000-000000000001', '2026-01-05T10:00:00.000Z', true);
    await copy('01ffffff-0000-7000-8000-000000000002', '2026-01-05T09:00:00.000Z', false);
    await copy('01ffffff-0000-7000-8000-000000000003', '2026-01-05T08:00:00.000Z', false);
    // The bug this migration closes: a backfill after migration 8 ran 09:00 a second time.
    const rerun = await spool.recurring.backfill('hourly', { from: '2026-01-05T09:00:00Z', to: '2026-01-05T09:00:00Z' });
    expect(rerun.jobIds).toHaveLength(1);
    await spool.close();
    // Back to the schema as it was before migration 11: the later migrations undone too.
    await sql(`DROP INDEX ${s}.jobs_keyed; DROP TABLE ${s}.limits, ${s}.gates, ${s}.metrics, ${s}.audit; ALTER TABLE ${s}.jobs DROP COLUMN held_gates, DROP COLUMN dead_lettered_at, DROP COLUMN dead_letter_error`);
    await sql(`DROP TABLE ${s}.batches, ${s}.dependencies; ALTER TABLE ${s}.jobs DROP COLUMN flow, DROP COLUMN batch_id, DROP COLUMN pending_parents`);
    await sql(`DELETE FROM ${s}.migrations WHERE version >= 11`);

    const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema }, { clock });
    open.push(storage);
    expect(await storage.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 10) });
    const { rows } = await sql(`SELECT id, (parameters::jsonb)->>'recurringOccurrence' AS iso, occurrence_at FROM ${s}.jobs ORDER BY iso, id`);
    const keyOf = (id: string) => {
      const v = rows.find((r) => r.id === id)!.occurrence_at as string | null;
      return v === null ? null : Number(v);
    };
    const ofIso = (iso: string) => rows.filter((r) => r.iso === iso).map((r) => r.id as string);
    // 08:00: an old job whose creation entry is in the history table gets its key.
    expect(keyOf('01ffffff-0000-7000-8000-000000000003')).toBe(Date.parse('2026-01-05T08:00:00Z'));
    // 09:00: the job backfilled since migration 8 keeps the key; the old one gets none.
    expect(keyOf(rerun.jobIds[0]!)).toBe(Date.parse('2026-01-05T09:00:00Z'));
    expect(keyOf('01ffffff-0000-7000-8000-000000000002')).toBeNull();
    // 10:00: the first job by id; 11:00 its one job; the triggered job none.
    const ten = ofIso('2026-01-05T10:00:00.000Z');
    expect(ten.map(keyOf)).toEqual([Date.parse('2026-01-05T10:00:00Z'), null]);
    expect(ofIso('2026-01-05T11:00:00.000Z').map(keyOf)).toEqual([Date.parse('2026-01-05T11:00:00Z')]);
    expect(keyOf(triggered)).toBeNull();

    const after = new Spool({ storage }, { clock });
    const backfill = await after.recurring.backfill('hourly', { from: '2026-01-05T08:00:00Z', to: '2026-01-05T11:00:00Z' });
    expect(backfill.jobIds).toEqual([]);
    expect(backfill.refused).toHaveLength(4);
  });
});
