import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock } from '@spool/core';
import type { FetchedJob, NewJob } from '@spool/core';
import { MIGRATIONS, MySqlStorage } from '@spool/mysql';

import { MYSQL_URL, dropPrefixes, freshPrefix, mysqlAvailable, newJob, sql } from './helpers.js';

// What the conformance suite cannot see of the history entries a job row holds (migration 4,
// history-tail.ts): that a job which runs once appends no history row, and that tables migrated
// while a job ran (its start a history row, its success in the row) keep its history in order.

const available = await mysqlAvailable();
const prefixes: string[] = [];
const storages: MySqlStorage[] = [];

afterEach(async () => {
  for (const storage of storages.splice(0)) await storage.close();
  await dropPrefixes(prefixes.splice(0));
});

function open(prefix: string, options: { migrate?: boolean } = {}): MySqlStorage {
  const storage = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 2, ...options }, { clock: new ManualClock(Date.parse('2026-03-02T10:00:00Z')) });
  storages.push(storage);
  return storage;
}

function fresh(): string {
  const prefix = freshPrefix('spool_tail');
  prefixes.push(prefix);
  return prefix;
}

const job = (): NewJob => newJob();

const fetch = (storage: MySqlStorage) => storage.jobsFetch({ queues: ['default'], names: null, limit: 10, serverId: 'server-1', leaseMs: 60_000 });
const succeed = (storage: MySqlStorage, jobs: FetchedJob[]) =>
  storage.jobsComplete({
    completions: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Succeeded' } })),
    serverId: 'server-1',
  });
const historyRows = async (prefix: string) => Number((await sql(`SELECT COUNT(*) AS n FROM \`${prefix}history\``))[0]!.n);
const states = async (storage: MySqlStorage, id: string) => (await storage.monitoring.jobDetails({ id }))!.history.map((h) => h.state);

describe.skipIf(!available)('the latest attempt kept in the job row on MySQL', () => {
  it('appends no history row for a job that runs once and succeeds, and still shows its whole history', async () => {
    const prefix = fresh();
    const storage = open(prefix);
    await storage.init();
    await storage.jobsCreate({ jobs: [job(), job()] });
    const fetched = await fetch(storage);
    expect((await succeed(storage, fetched)).results.every((r) => r.ok)).toBe(true);
    expect(await historyRows(prefix)).toBe(0);
    expect(await states(storage, fetched[0]!.id)).toEqual(['enqueued', 'processing', 'succeeded']);
  });

  it('moves the row-held entries into the history table before the next change, in order', async () => {
    const prefix = fresh();
    const storage = open(prefix);
    await storage.init();
    await storage.jobsCreate({ jobs: [job()] });
    const [first] = await fetch(storage);
    await succeed(storage, [first!]);
    await storage.jobSetState({ id: first!.id, expected: ['succeeded'], state: 'enqueued', reason: 'Requeued by an operator', resetAttempts: true });
    expect(await historyRows(prefix)).toBe(3);
    const [second] = await fetch(storage);
    await succeed(storage, [second!]);
    expect(await states(storage, first!.id)).toEqual(['enqueued', 'processing', 'succeeded', 'enqueued', 'processing', 'succeeded']);
  });

  it('keeps the order of a job that started before migration 4 and succeeds after it', async () => {
    const prefix = fresh();
    const before = open(prefix);
    await before.init();
    const created = job();
    await before.jobsCreate({ jobs: [created] });
    await before.close();
    // As a database at version 3 whose server started the job: its start is a history row.
    await sql(`ALTER TABLE \`${prefix}jobs\` DROP COLUMN tail, DROP COLUMN tail_reason, DROP COLUMN tail_server, DROP KEY jobs_keyed, DROP COLUMN limit_key`);
    await sql(`DROP TABLE \`${prefix}batches\`, \`${prefix}dependencies\``);
    await sql(`ALTER TABLE \`${prefix}jobs\` DROP KEY jobs_batch, DROP COLUMN flow, DROP COLUMN batch_id, DROP COLUMN pending_parents`);
    await sql(`DELETE FROM \`${prefix}migrations\` WHERE version >= 4`);
    await sql(`UPDATE \`${prefix}jobs\` SET state = 'processing', attempt = 1, lease_token = 'old', server_id = 'server-0', started_at = created_at, lease_expires_at = created_at + 60000 WHERE id = ?`, [created.id]);
    await sql(`INSERT INTO \`${prefix}history\` (job_id, state, reason, data, at, server_id) SELECT id, 'processing', 'Started by server server-0', NULL, created_at, 'server-0' FROM \`${prefix}jobs\` WHERE id = ?`, [created.id]);

    const upgraded = open(prefix, { migrate: false });
    expect(await upgraded.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 3) });
    await upgraded.init();
    const results = await upgraded.jobsComplete({ completions: [{ id: created.id, leaseToken: 'old', outcome: { state: 'succeeded', result: null, reason: 'Succeeded' } }], serverId: 'server-0' });
    expect(results.results).toEqual([{ id: created.id, ok: true }]);
    const history = (await upgraded.monitoring.jobDetails({ id: created.id }))!.history;
    expect(history.map((h) => [h.state, h.serverId])).toEqual([
      ['enqueued', null],
      ['processing', 'server-0'],
      ['succeeded', 'server-0'],
    ]);
  });
});
