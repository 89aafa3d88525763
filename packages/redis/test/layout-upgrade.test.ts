import { readFileSync } from 'node:fs';

import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { DEFAULT_RECURRING_SETTINGS, LIMIT_KEY_PARAMETER, ManualClock, Spool, UuidV7Generator, resolveLimits } from '@spool/core';
import { newJobRecord } from '@spool/conformance';
import { LAYOUT_VERSION, RedisStorage } from '@spool/redis';

import { keyIndexAgainstJobs } from './key-index-check.js';
import { REDIS_URL, dropPrefix, freshPrefix, redisAvailable } from './redis-test-env.js';

// Data that Spool wrote in Redis layout 1 (before occurrence keys), captured from that version's own
// code (fixtures/capture-layout-1.mjs): two recurring jobs, the 10:00, 11:00 and 12:00 occurrences of
// one of them (11:00 deleted since), and a triggered job. The current storage starts on it.
interface Fixture {
  at: number;
  keys: Record<
    string,
    { type: 'hash'; value: Record<string, string> } | { type: 'zset'; value: string[] } | { type: 'set'; value: string[] } | { type: 'list'; value: string[] } | { type: 'string'; value: string }
  >;
}
const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/layout-1.json', import.meta.url), 'utf8')) as Fixture;
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

const available = await redisAvailable();
const admin = new Redis(REDIS_URL, { lazyConnect: true });
admin.on('error', () => undefined);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});
afterAll(() => admin.disconnect());

/** Writes the fixture's keys under a fresh prefix, as layout 1 left them. */
async function restore(extra?: (prefix: string) => Promise<void>): Promise<string> {
  const prefix = freshPrefix('layout1');
  cleanups.push(() => dropPrefix(admin, prefix));
  for (const [name, key] of Object.entries(FIXTURE.keys)) {
    const full = `{${prefix}}:${name}`;
    if (key.type === 'hash') await admin.hset(full, key.value);
    else if (key.type === 'zset') for (let i = 0; i < key.value.length; i += 2) await admin.zadd(full, key.value[i + 1]!, key.value[i]!);
    else if (key.type === 'set') await admin.sadd(full, ...key.value);
    else if (key.type === 'list') await admin.rpush(full, ...key.value);
    else await admin.set(full, key.value);
  }
  await extra?.(prefix);
  return prefix;
}

function open(prefix: string, clock: ManualClock): RedisStorage {
  const storage = new RedisStorage({ url: REDIS_URL, prefix }, { clock });
  cleanups.push(() => storage.close());
  return storage;
}

/** The layout versions an upgrade from `stored` applies, up to this package's. */
function layoutsAfter(stored: number): number[] {
  return Array.from({ length: LAYOUT_VERSION - stored }, (_, i) => stored + 1 + i);
}

describe.skipIf(!available)('Redis storage started on layout 1 data', () => {
  it('moves the data up to the current layout and reads every record of it', async () => {
    await admin.connect().catch(() => undefined);
    const prefix = await restore();
    expect(await admin.hget(`{${prefix}}:meta`, 'version')).toBe('1');
    const clock = new ManualClock(FIXTURE.at + 60_000);
    const storage = open(prefix, clock);
    expect(await storage.migrate()).toEqual({ applied: layoutsAfter(1) });
    expect(await admin.hget(`{${prefix}}:meta`, 'version')).toBe(String(LAYOUT_VERSION));
    expect(await storage.migrate()).toEqual({ applied: [] });

    // The recurring records: the fields layout 1 did not have read as their defaults.
    const hourly = await storage.recurringGet({ id: 'reports.hourly' });
    expect(hourly).toMatchObject({ cron: '0 * * * *', timezone: 'UTC', args: { scope: 'all' }, settings: DEFAULT_RECURRING_SETTINGS, runs: 0, paused: false, nextRunAt: at('2026-01-05T13:00:00Z') });
    expect(await storage.recurringGet({ id: 'cache.warm' })).toMatchObject({ paused: true, nextRunAt: null, settings: DEFAULT_RECURRING_SETTINGS });
    expect((await storage.recurringList({ limit: 10 })).map((r) => r.id)).toEqual(['cache.warm', 'reports.hourly']);
    expect(await storage.recurringHistory({ id: 'reports.hourly', limit: 10 })).toEqual([]);

    // The jobs, with their histories and parameters.
    const { jobs } = await storage.monitoring.jobsList({ limit: 10 });
    expect(jobs.map((j) => [j.parameters.recurringOccurrence, j.state])).toEqual([
      ['2026-01-05T12:10:00.000Z', 'enqueued'],
      ['2026-01-05T12:00:00.000Z', 'enqueued'],
      ['2026-01-05T11:00:00.000Z', 'deleted'],
      ['2026-01-05T10:00:00.000Z', 'enqueued'],
    ]);
    const deleted = await storage.monitoring.jobDetails({ id: jobs[2]!.id });
    expect(deleted!.history.map((h) => [h.state, h.reason])).toEqual([
      ['enqueued', 'Recurring job reports.hourly: occurrence of 2026-01-05T11:00:00.000Z'],
      ['deleted', 'Deleted by request'],
    ]);
    expect((await storage.monitoring.stats()).states).toMatchObject({ enqueued: 3, deleted: 1 });
    expect(hourly!.lastJobId).toBe(jobs[0]!.id);

    // The schedule's three occurrences now hold their keys; the triggered job holds none.
    const held = await admin.hgetall(`{${prefix}}:rcocc:reports.hourly`);
    expect(held).toEqual({
      [String(Date.parse('2026-01-05T10:00:00Z'))]: jobs[3]!.id,
      [String(Date.parse('2026-01-05T11:00:00Z'))]: jobs[2]!.id,
      [String(Date.parse('2026-01-05T12:00:00Z'))]: jobs[1]!.id,
    });
    expect(await admin.hget(`{${prefix}}:job:${jobs[0]!.id}`, 'occ')).toBeNull();

    // The job names the upgrade to layout 5 collected: lists in name order find every job.
    expect((await admin.smembers(`{${prefix}}:names`)).sort()).toEqual([...new Set(jobs.map((j) => j.name))].sort());
    const byName = await storage.monitoring.jobsList({ limit: 10, order: 'name' });
    expect(byName.jobs.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it('keeps one job per occurrence across the upgrade: backfill, the scheduler and expiry', async () => {
    await admin.connect().catch(() => undefined);
    const prefix = await restore();
    const clock = new ManualClock(FIXTURE.at + 60_000);
    const storage = open(prefix, clock);
    const spool = new Spool({ storage }, { clock });
    cleanups.push(() => spool.close());

    // A backfill over what layout 1 already ran runs only the occurrence it had not.
    const backfill = await spool.recurring.backfill('reports.hourly', { from: '2026-01-05T09:00:00Z', to: '2026-01-05T12:00:00Z' });
    expect(backfill.refused).toEqual([at('2026-01-05T10:00:00Z'), at('2026-01-05T11:00:00Z'), at('2026-01-05T12:00:00Z')]);
    expect(backfill.jobIds).toHaveLength(1);
    expect((await storage.jobGet({ id: backfill.jobIds[0]! }))!.parameters.recurringOccurrence).toBe('2026-01-05T09:00:00.000Z');

    // The scheduler goes on from the stored next run: four servers reading the same due record fire 13:00 once.
    clock.set(at('2026-01-05T13:00:02Z'));
    const handles = [storage, open(prefix, clock), open(prefix, clock), open(prefix, clock)];
    const spools = handles.map((s) => new Spool({ storage: s }, { clock }));
    const results = await Promise.all(
      spools.map(async (s, i) => {
        const { now, records } = await handles[i]!.recurringDue({ limit: 10 });
        return Promise.all(records.map((r) => s.recurring.fireDue(r, now)));
      }),
    );
    expect(results.flat().flatMap((r) => r.jobIds)).toHaveLength(1);
    expect((await storage.recurringGet({ id: 'reports.hourly' }))!.nextRunAt).toEqual(at('2026-01-05T14:00:00Z'));
    const again = await spool.recurring.backfill('reports.hourly', { from: '2026-01-05T09:00:00Z', to: '2026-01-05T13:00:00Z' });
    expect(again.jobIds).toEqual([]);
    expect(again.refused).toHaveLength(5);

    // An occurrence key lives as long as its job, also one that layout 1 wrote: the deleted 11:00 run
    // expires with its retention (7 days), and its occurrence is free again, once.
    clock.set(new Date(FIXTURE.at + 7 * 24 * HOUR + 1_000));
    expect(await storage.jobsExpire({ limit: 100 })).toEqual({ deleted: 1 });
    expect(await admin.hexists(`{${prefix}}:rcocc:reports.hourly`, String(Date.parse('2026-01-05T11:00:00Z')))).toBe(0);
    const rerun = await spool.recurring.backfill('reports.hourly', { from: '2026-01-05T11:00:00Z', to: '2026-01-05T11:00:00Z' });
    expect(rerun.jobIds).toHaveLength(1);
    expect((await spool.recurring.backfill('reports.hourly', { from: '2026-01-05T11:00:00Z', to: '2026-01-05T11:00:00Z' })).refused).toHaveLength(1);
  });

  it('indexes layout 1 jobs in batches, the first job of an occurrence fired twice keeping it', async () => {
    await admin.connect().catch(() => undefined);
    // 2,500 more layout-1 jobs of one recurring job, one per minute, and a second job for one of
    // them (layout 1 had no key to refuse it): more than two batches of the upgrade.
    const template = FIXTURE.keys['job:019b8d99-7c88-7000-940f-f4027416f34c'];
    if (template?.type !== 'hash') throw new Error('the fixture lost its first job');
    const start = Date.parse('2026-02-01T00:00:00Z');
    const idOf = (i: number) => `019c0000-0000-7000-8000-${String(i).padStart(12, '0')}`;
    const prefix = await restore(async (p) => {
      const pipeline = admin.pipeline();
      for (let i = 0; i <= 2_500; i++) {
        const minute = i === 2_500 ? 7 : i;
        const iso = new Date(start + minute * 60_000).toISOString();
        pipeline.hset(`{${p}}:job:${idOf(i)}`, { ...template.value, recurring: 'minutely', 'p:recurringOccurrence': JSON.stringify(iso), creason: `Recurring job minutely: occurrence of ${iso}` });
        pipeline.zadd(`{${p}}:all`, 0, `${idOf(i)}\t0reports.build\t{"scope":"all"}`);
      }
      await pipeline.exec();
    });
    const storage = open(prefix, new ManualClock(FIXTURE.at));
    expect(await storage.migrate()).toEqual({ applied: layoutsAfter(1) });
    const held = await admin.hgetall(`{${prefix}}:rcocc:minutely`);
    expect(Object.keys(held)).toHaveLength(2_500);
    expect(held[String(start + 7 * 60_000)]).toBe(idOf(7));
    expect(await admin.hget(`{${prefix}}:job:${idOf(2_500)}`, 'occ')).toBeNull();
    expect(await admin.hget(`{${prefix}}:job:${idOf(2_499)}`, 'occ')).toBe(String(start + 2_499 * 60_000));
    expect(await admin.hlen(`{${prefix}}:rcocc:reports.hourly`)).toBe(3);
  });
});

describe.skipIf(!available)('Redis storage started on layout 5 data', () => {
  it('fills the key index from the enqueued jobs, so a claim under per-key limits reaches every key', async () => {
    await admin.connect().catch(() => undefined);
    const prefix = freshPrefix('layout5');
    cleanups.push(() => dropPrefix(admin, prefix));
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const ids = new UuidV7Generator(clock);
    const keyed = (key: string, queue = 'default') => newJobRecord(ids.next(), { name: 'sync', queue, parameters: { [LIMIT_KEY_PARAMETER]: key } });
    // 2,500 jobs of key a ahead of 3 of key b (more than two batches of the upgrade), a job without
    // a key, and keyed jobs of another queue.
    const writer = open(prefix, clock);
    for (let i = 0; i < 2_500; i += 500) await writer.jobsCreate({ jobs: Array.from({ length: 500 }, () => keyed('a')) });
    await writer.jobsCreate({ jobs: [keyed('b'), keyed('b'), keyed('b'), newJobRecord(ids.next(), { name: 'sync' }), keyed('a', 'other'), keyed('c', 'other')] });
    const before = await keyIndexAgainstJobs(admin, prefix);
    // Layout 5 wrote the same jobs without the key index.
    const base = `{${prefix}}:`;
    for (const pattern of ['rk:*', 'rqk:*', 'rkn']) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${base}${pattern}`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.unlink(...keys);
      } while (cursor !== '0');
    }
    await admin.hset(`${base}meta`, 'version', '5');
    expect((await keyIndexAgainstJobs(admin, prefix)).indexed).toEqual({ sets: {}, keys: {}, counts: {} });

    const storage = open(prefix, clock);
    expect(await storage.migrate()).toEqual({ applied: layoutsAfter(5) });
    const after = await keyIndexAgainstJobs(admin, prefix);
    expect(after.indexed).toEqual(after.stored);
    expect(after.stored).toEqual(before.stored);
    expect(Object.keys((after.stored as { sets: object }).sets)).toHaveLength(4);

    await storage.limitsSet({ scope: { job: 'sync' }, layer: 'code', limits: resolveLimits({ perKey: { concurrency: 1 } }, 'limits'), setBy: null });
    const got = await storage.jobsFetch({ queues: ['default'], names: null, limit: 10, serverId: 'server-1', leaseMs: 30_000 });
    expect(got.map((j) => j.parameters[LIMIT_KEY_PARAMETER] ?? null).sort()).toEqual(['a', 'b', null]);
  });
});
