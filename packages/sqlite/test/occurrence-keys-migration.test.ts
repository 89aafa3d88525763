import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock, Spool } from '@spool/core';
import { MIGRATIONS, SqliteStorage } from '@spool/sqlite';

import { removeTempDirs, tempDbPath } from './helpers.js';

// Migration 2 gave occurrence keys to new jobs only; migration 5 gives them to the jobs the scheduler
// created before it, so a backfill does not run those occurrences again.
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const handle of open.splice(0).reverse()) await handle.close();
  removeTempDirs();
});

const at = (iso: string) => new Date(iso);

describe('SQLite migration 5: the occurrence keys of jobs fired before migration 2', () => {
  it('keys the jobs the scheduler created, not triggered ones, one per occurrence, leaving held occurrences alone', async () => {
    const path = tempDbPath();
    const clock = new ManualClock(Date.parse('2026-01-05T09:30:00Z'));
    const first = new SqliteStorage({ path }, { clock });
    const spool = new Spool({ storage: first }, { clock });
    await spool.recurring.addOrUpdate('hourly', 'reports.build', {}, { queue: 'default', attempts: 10, timeout: null, cron: '0 * * * *' });
    for (const hour of ['10', '11']) {
      clock.set(at(`2026-01-05T${hour}:00:05Z`));
      const { now, records } = await first.recurringDue({ limit: 10 });
      for (const record of records) await spool.recurring.fireDue(record, now);
    }
    clock.set(at('2026-01-05T11:10:00Z'));
    const triggered = await spool.recurring.trigger('hourly');
    const db = new Database(path);
    // As the data was before migration 2: no job holds a key. Then jobs that only old code could make:
    // a second job for 10:00 and a job for 09:00, neither holding a key.
    db.prepare('UPDATE spool_jobs SET occurrence_at = NULL').run();
    const template = db.prepare("SELECT * FROM spool_jobs WHERE json_extract(parameters, '$.recurringOccurrence') = '2026-01-05T10:00:00.000Z'").get() as Record<string, unknown>;
    const copy = (id: string, iso: string) =>
      db.prepare(`INSERT INTO spool_jobs (${Object.keys(template).join(', ')}) VALUES (${Object.keys(template).map(() => '?').join(', ')})`).run(
        ...Object.entries(template).map(([k, v]) => (k === 'id' ? id : k === 'parameters' ? JSON.stringify({ recurringOccurrence: iso }) : k === 'created_reason' ? `Recurring job hourly: occurrence of ${iso}` : v)),
      );
    copy('01ffffff-0000-7000-8000-000000000001', '2026-01-05T10:00:00.000Z');
    copy('01ffffff-0000-7000-8000-000000000002', '2026-01-05T09:00:00.000Z');
    // The bug this migration closes: a backfill after migration 2 ran 09:00 a second time.
    const rerun = await spool.recurring.backfill('hourly', { from: '2026-01-05T09:00:00Z', to: '2026-01-05T09:00:00Z' });
    expect(rerun.jobIds).toHaveLength(1);
    await spool.close();
    // Back to the schema as it was before migration 5: the later migrations undone too.
    db.exec('DROP INDEX spool_jobs_keyed; DROP INDEX spool_jobs_unkeyed; DROP TABLE spool_limits; DROP TABLE spool_gates; ALTER TABLE spool_jobs DROP COLUMN held_gates; DROP TABLE spool_metrics; DROP TABLE spool_audit; DROP INDEX spool_jobs_dead_letters; DROP INDEX spool_jobs_dead_letter_groups; ALTER TABLE spool_jobs DROP COLUMN dead_lettered_at; ALTER TABLE spool_jobs DROP COLUMN dead_letter_error');
    db.exec('DROP INDEX spool_jobs_batch; ALTER TABLE spool_jobs DROP COLUMN flow; ALTER TABLE spool_jobs DROP COLUMN batch_id; ALTER TABLE spool_jobs DROP COLUMN pending_parents; DROP TABLE spool_batches; DROP TABLE spool_dependencies');
    db.prepare('DELETE FROM spool_migrations WHERE version >= 5').run();

    const storage = new SqliteStorage({ path }, { clock });
    open.push(storage);
    expect(await storage.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 4) });
    const keys = db.prepare("SELECT id, json_extract(parameters, '$.recurringOccurrence') AS iso, occurrence_at FROM spool_jobs ORDER BY iso, id").all() as Array<{ id: string; iso: string; occurrence_at: number | null }>;
    db.close();
    const byIso = (iso: string) => keys.filter((k) => k.iso === iso);
    // 09:00: the job backfilled since migration 2 keeps the key; the old one gets none.
    expect(byIso('2026-01-05T09:00:00.000Z').map((k) => [k.id, k.occurrence_at])).toEqual([
      [rerun.jobIds[0], Date.parse('2026-01-05T09:00:00Z')],
      ['01ffffff-0000-7000-8000-000000000002', null],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    // 10:00: the first job by id.
    const ten = byIso('2026-01-05T10:00:00.000Z');
    expect(ten.map((k) => k.occurrence_at)).toEqual([Date.parse('2026-01-05T10:00:00Z'), null]);
    expect(byIso('2026-01-05T11:00:00.000Z').map((k) => k.occurrence_at)).toEqual([Date.parse('2026-01-05T11:00:00Z')]);
    expect(keys.find((k) => k.id === triggered)!.occurrence_at).toBeNull();

    const after = new Spool({ storage }, { clock });
    const backfill = await after.recurring.backfill('hourly', { from: '2026-01-05T09:00:00Z', to: '2026-01-05T11:00:00Z' });
    expect(backfill.jobIds).toEqual([]);
    expect(backfill.refused).toEqual([at('2026-01-05T09:00:00Z'), at('2026-01-05T10:00:00Z'), at('2026-01-05T11:00:00Z')]);
  });
});
