import { afterEach, describe, expect, it } from 'vitest';

import { LIMIT_KEY_PARAMETER, ManualClock, resolveLimits } from '@spool/core';
import type { FetchedJob, Handover, LimitsOption, StorageEvent } from '@spool/core';
import { MIGRATIONS, MySqlStorage } from '@spool/mysql';

import { MYSQL_URL, dropPrefixes, freshPrefix, mysqlAvailable, newJob, sql } from './helpers.js';

// What the conformance suite cannot see of flow control on MySQL: the migration that adds it to
// tables in use, the held-gates column every claim writes, wake-ups across processes, and the
// hand-over's reading of limits and keys.

const available = await mysqlAvailable();
const prefixes: string[] = [];
const storages: MySqlStorage[] = [];

afterEach(async () => {
  for (const storage of storages.splice(0)) await storage.close();
  await dropPrefixes(prefixes.splice(0));
});

function open(prefix: string, options: { watchInterval?: number; migrate?: boolean } = {}, clock = new ManualClock(Date.parse('2026-03-02T10:00:00Z'))): MySqlStorage {
  const storage = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 2, ...options }, { clock });
  storages.push(storage);
  return storage;
}

function fresh(): string {
  const prefix = freshPrefix('spool_fc');
  prefixes.push(prefix);
  return prefix;
}

const job = newJob;

const setLimits = (storage: MySqlStorage, option: LimitsOption | null, scope: { queue: string } | { job: string } = { queue: 'default' }) =>
  storage.limitsSet({ scope, layer: 'operator', limits: option === null ? null : resolveLimits(option, 'limits'), setBy: 'ops' });
const fetch = (storage: MySqlStorage, limit = 10) => storage.jobsFetch({ queues: ['default'], names: null, limit, serverId: 'server-1', leaseMs: 60_000 });
const succeed = (storage: MySqlStorage, jobs: FetchedJob[], handover?: Handover) =>
  storage.jobsComplete({
    completions: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Succeeded' } })),
    serverId: 'server-1',
    ...(handover ? { handover } : {}),
  });
const HANDOVER: Handover = { queues: ['default'], names: null, limit: 10, leaseMs: 60_000 };
// What migrations 4 and 5 add, dropped to stand for a database migrated before it.
const DROP_TAIL = 'DROP COLUMN tail, DROP COLUMN tail_reason, DROP COLUMN tail_server, DROP KEY jobs_keyed, DROP COLUMN limit_key';
const running = async (storage: MySqlStorage) => (await storage.limitsList())[0]?.running;

describe.skipIf(!available)('flow control on MySQL', () => {
  it('upgrades tables at version 2 in use: a job running before it gives back nothing, and limits hold from the next claim', async () => {
    const prefix = fresh();
    const before = open(prefix);
    await before.init();
    await before.jobsCreate({ jobs: [job(), job(), job()] });
    const [early] = await fetch(before, 1);
    await before.close();
    // As a database migrated by the version before flow control: no limits, no gates, no held-gates
    // column (nor what later migrations add).
    await sql(`DROP TABLE \`${prefix}limits\`, \`${prefix}gates\`, \`${prefix}metrics\`, \`${prefix}audit\``);
    await sql(`ALTER TABLE \`${prefix}jobs\` DROP COLUMN held_gates, ${DROP_TAIL}`);
    await sql(`DROP TABLE \`${prefix}batches\`, \`${prefix}dependencies\``);
    await sql(`ALTER TABLE \`${prefix}jobs\` DROP KEY jobs_batch, DROP COLUMN flow, DROP COLUMN batch_id, DROP COLUMN pending_parents`);
    await sql(`DELETE FROM \`${prefix}migrations\` WHERE version >= 3`);

    const refusing = open(prefix, { migrate: false });
    await expect(refusing.init()).rejects.toThrow(`need migrations ${MIGRATIONS.map((m) => m.version).filter((v) => v > 2).join(", ")}`);
    const upgraded = open(prefix, { migrate: false });
    expect(await upgraded.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 2) });
    await setLimits(upgraded, { concurrency: 1 });
    expect(await fetch(upgraded)).toHaveLength(1);
    expect(await fetch(upgraded)).toEqual([]);
    expect((await succeed(upgraded, [early!])).results).toEqual([{ id: early!.id, ok: true }]);
    // The job that started before limits took no gate: its end frees no place.
    expect(await running(upgraded)).toBe(1);
    expect(await fetch(upgraded)).toEqual([]);
  });

  it('completes migration 3 when a start died after it added the column', async () => {
    const prefix = fresh();
    const first = open(prefix);
    await first.init();
    await sql(`DROP TABLE \`${prefix}limits\`, \`${prefix}gates\`, \`${prefix}metrics\`, \`${prefix}audit\``);
    await sql(`ALTER TABLE \`${prefix}jobs\` ${DROP_TAIL}`);
    await sql(`DROP TABLE \`${prefix}batches\`, \`${prefix}dependencies\``);
    await sql(`ALTER TABLE \`${prefix}jobs\` DROP KEY jobs_batch, DROP COLUMN flow, DROP COLUMN batch_id, DROP COLUMN pending_parents`);
    await sql(`DELETE FROM \`${prefix}migrations\` WHERE version >= 3`);
    const again = open(prefix, { migrate: false });
    expect(await again.migrate()).toEqual({ applied: MIGRATIONS.map((m) => m.version).filter((v) => v > 2) });
    await setLimits(again, { concurrency: 1 });
    expect(await again.limitsList()).toHaveLength(1);
  });

  it('records no gates for a job claimed again without limits, so its end gives back nothing', async () => {
    const prefix = fresh();
    const storage = open(prefix);
    await storage.init();
    await setLimits(storage, { concurrency: 2 });
    await storage.jobsCreate({ jobs: [job()] });
    const [returned] = await fetch(storage, 1);
    await storage.jobsComplete({
      completions: [{ id: returned!.id, leaseToken: returned!.leaseToken, outcome: { state: 'enqueued', reason: 'Shutdown', refundAttempt: true } }],
      serverId: 'server-1',
    });
    await setLimits(storage, null);
    const again = await fetch(storage, 1);
    expect(again.map((j) => j.id)).toEqual([returned!.id]);
    const [row] = await sql(`SELECT held_gates FROM \`${prefix}jobs\` WHERE id = ?`, [returned!.id]);
    expect(row!.held_gates).toBeNull();
    await storage.jobsCreate({ jobs: [job()] });
    await setLimits(storage, { concurrency: 2 });
    const limited = await fetch(storage);
    expect(limited).toHaveLength(1);
    expect(await running(storage)).toBe(1);
    await succeed(storage, again);
    expect(await running(storage)).toBe(1);
    await succeed(storage, limited);
    expect(await running(storage)).toBe(0);
  });

  it('compares keys exactly: a full key passes over no job of a key that differs in case or trailing space', async () => {
    const prefix = fresh();
    const storage = open(prefix);
    await storage.init();
    await setLimits(storage, { perKey: { concurrency: 1 } });
    const keyed = (key: string) => job({ parameters: { [LIMIT_KEY_PARAMETER]: key } });
    // More jobs of key a than one round reads: the next round passes over key a in SQL.
    const many = Array.from({ length: 60 }, () => keyed('a'));
    const others = [keyed('A'), keyed('a '), keyed('é'), keyed('a')];
    await storage.jobsCreate({ jobs: [...many, ...others] });
    expect((await fetch(storage)).map((j) => j.id)).toEqual([many[0]!.id, others[0]!.id, others[1]!.id, others[2]!.id]);
  });

  it("wakes another process's servers when a job gives its gate back", async () => {
    const prefix = fresh();
    const writer = open(prefix);
    await writer.init();
    const watcher = open(prefix, { watchInterval: 50 });
    await watcher.init();
    await setLimits(writer, { concurrency: 1 });
    await writer.jobsCreate({ jobs: [job(), job()] });
    const [first] = await fetch(writer, 10);
    const events: StorageEvent[] = [];
    const unsubscribe = watcher.subscribe((event) => events.push(event));
    try {
      await watcher.watching();
      await succeed(writer, [first!]);
      await expect.poll(() => events.find((e) => e.type === 'jobs-enqueued'), { timeout: 5_000, interval: 20 }).toEqual({ type: 'jobs-enqueued', queues: ['default'] });
      expect(await fetch(watcher)).toHaveLength(1);
    } finally {
      unsubscribe();
    }
  });

  it('hands over by the limits in force when it writes: a rate set a moment ago in another process stops it', async () => {
    const prefix = fresh();
    const writer = open(prefix);
    await writer.init();
    const other = open(prefix);
    await other.init();
    await setLimits(writer, { perKey: { concurrency: 1 } }, { job: 'report.build' });
    const keyed = () => job({ parameters: { [LIMIT_KEY_PARAMETER]: 'a' } });
    await writer.jobsCreate({ jobs: [keyed(), keyed(), keyed()] });
    const [first] = await fetch(writer);
    const handed = (await succeed(writer, [first!], HANDOVER)).handedOver ?? [];
    expect(handed).toHaveLength(1);
    // The writer still knows the limits it read before: only a per-key concurrency.
    await setLimits(other, { perKey: { concurrency: 1, rate: { limit: 100, per: '1m' } } }, { job: 'report.build' });
    expect((await succeed(writer, handed, HANDOVER)).handedOver ?? []).toEqual([]);
    expect(await fetch(writer)).toHaveLength(1);
  });

  it('hands a place over to its own key only, compared as bytes', async () => {
    const prefix = fresh();
    const storage = open(prefix);
    await storage.init();
    await setLimits(storage, { perKey: { concurrency: 1 } }, { job: 'report.build' });
    const keyed = (key: string) => job({ parameters: { [LIMIT_KEY_PARAMETER]: key } });
    // Keys that a collation would take for 'a' run, and wait ahead of a2 behind them.
    const a1 = keyed('a');
    const look = [keyed('A'), keyed('a '), keyed('á')];
    const behind = [keyed('A'), keyed('a '), keyed('á')];
    const a2 = keyed('a');
    await storage.jobsCreate({ jobs: [a1, ...look, ...behind, a2] });
    const running = await fetch(storage);
    expect(running.map((j) => j.id)).toEqual([a1.id, ...look.map((j) => j.id)]);
    const handed = (await succeed(storage, running.slice(0, 1), HANDOVER)).handedOver ?? [];
    expect(handed.map((j) => j.id)).toEqual([a2.id]);
  });
});
