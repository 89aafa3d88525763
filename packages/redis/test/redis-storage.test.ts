import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import type { NewJob, StorageEvent } from '@spool/core';
import { ManualClock, UuidV7Generator } from '@spool/core';
import { LIST_SCAN_BUDGET, RedisStorage } from '@spool/redis';

import { REDIS_URL, dropPrefix, freshPrefix, redisAvailable } from './redis-test-env.js';
import { RedisServerProcess, freePort, redisServerInstalled } from './redis-server-process.js';

const available = await redisAvailable();
const admin = new Redis(REDIS_URL, { lazyConnect: true });
const prefixes: string[] = [];
const storages: RedisStorage[] = [];
const ids = new UuidV7Generator();

function job(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: ids.next(),
    name: 'test.job',
    args: {},
    queue: 'default',
    priority: 0,
    state: 'enqueued',
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    retentionMs: 86_400_000,
    backoff: null,
    uniqueKey: null,
    parentId: null,
    continueOn: null,
    recurringId: null,
    parameters: {},
    reason: 'Created by a test',
    ...overrides,
  };
}

/** A storage on the shared test Redis under a fresh prefix (dropped after the test). */
async function open(options: { prefix?: string; url?: string; clock?: ManualClock } = {}): Promise<RedisStorage> {
  const prefix = options.prefix ?? freshPrefix('storage');
  if (!prefixes.includes(prefix)) prefixes.push(prefix);
  const storage = new RedisStorage({ url: options.url ?? REDIS_URL, prefix }, options.clock ? { clock: options.clock } : {});
  storages.push(storage);
  await storage.init();
  return storage;
}

async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(async () => {
  for (const storage of storages.splice(0)) await storage.close();
  for (const prefix of prefixes.splice(0)) await dropPrefix(admin, prefix);
});

afterAll(() => {
  admin.disconnect();
});

describe.skipIf(!available)('RedisStorage', () => {
  it('stores each state change as one short hash field, so a finished job keeps Redis\'s compact hash encoding', async () => {
    const storage = await open();
    const [created] = (await storage.jobsCreate({ jobs: [job({ args: null })] })).jobs;
    const [fetched] = await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 'host:123:abcdef', leaseMs: 30_000 });
    await storage.jobsComplete({
      serverId: 'host:123:abcdef',
      completions: [{ id: fetched!.id, leaseToken: fetched!.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Succeeded on attempt 1' } }],
    });
    const key = `${storage.keyBase}job:${created!.id}`;
    expect(await admin.hmget(key, 'hn', 'h1', 'h2')).toEqual(['2', expect.stringMatching(/^P\d+ 1 host:123:abcdef$/), expect.stringMatching(/^S\d+ Succeeded on attempt 1$/)]);
    expect(await admin.object('ENCODING', key)).toBe('listpack');
    const details = await storage.monitoring.jobDetails({ id: created!.id });
    expect(details!.history.map((h) => [h.state, h.serverId, h.reason, h.data])).toEqual([
      ['enqueued', null, 'Created by a test', null],
      ['processing', 'host:123:abcdef', 'Started by server host:123:abcdef', { serverId: 'host:123:abcdef', attempt: 1 }],
      ['succeeded', 'host:123:abcdef', 'Succeeded on attempt 1', null],
    ]);
  });

  it('reads state histories written as lines of one field, and appends after them', async () => {
    const storage = await open();
    const [created] = (await storage.jobsCreate({ jobs: [job()] })).jobs;
    const key = `${storage.keyBase}job:${created!.id}`;
    // A job left processing by an earlier version: its entries as JSON lines in field 'h', no 'hn'.
    const [fetched] = await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 'old', leaseMs: 30_000 });
    await admin.hdel(key, 'h1', 'hn');
    await admin.hset(key, 'h', '["processing",1000,"old","Started by server old",{"serverId":"old","attempt":1}]');
    await storage.jobsComplete({ serverId: 'old', completions: [{ id: fetched!.id, leaseToken: fetched!.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'done' } }] });
    const details = await storage.monitoring.jobDetails({ id: created!.id });
    expect(details!.history.map((h) => [h.state, h.serverId, h.reason])).toEqual([
      ['enqueued', null, 'Created by a test'],
      ['processing', 'old', 'Started by server old'],
      ['succeeded', 'old', 'done'],
    ]);
    expect(details!.history[1]!.at).toEqual(new Date(1000));
  });

  it('keeps every key of a storage under its hash-tagged prefix', async () => {
    const storage = await open();
    const [parent] = (await storage.jobsCreate({ jobs: [job({ uniqueKey: 'k' })] })).jobs;
    await storage.jobsCreate({ jobs: [job({ state: 'awaiting', parentId: parent!.id, continueOn: 'succeeded' }), job({ state: 'scheduled', runAt: new Date(Date.now() + 60_000) })] });
    const [fetched] = await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 's', leaseMs: 30_000 });
    await storage.jobsComplete({ serverId: 's', completions: [{ id: fetched!.id, leaseToken: fetched!.leaseToken, outcome: { state: 'succeeded', result: 1, reason: 'ok' } }] });
    await storage.serverHeartbeat({ server: { id: 's', hostname: 'h', pid: 1, queues: ['default'], concurrency: 1, jobNames: [], running: 0, startedAt: new Date() } });
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `*${storage.options.prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) expect(key.startsWith(`{${storage.options.prefix}}:`)).toBe(true);
  });

  it('takes its key prefix from the URL', async () => {
    const prefix = freshPrefix('url');
    prefixes.push(prefix);
    const storage = new RedisStorage({ url: `${REDIS_URL}?prefix=${prefix}` });
    storages.push(storage);
    expect(storage.options.prefix).toBe(prefix);
    const [created] = (await storage.jobsCreate({ jobs: [job()] })).jobs;
    expect(await admin.exists(`{${prefix}}:job:${created!.id}`)).toBe(1);
  });

  it('rejects a prefix that would break the hash tag', () => {
    expect(() => new RedisStorage({ url: REDIS_URL, prefix: 'a}b' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('uses Redis TIME as its clock when no clock is injected', async () => {
    const storage = await open();
    const [seconds] = await admin.time();
    expect(Math.abs((await storage.now()) - Number(seconds) * 1000)).toBeLessThan(5_000);
    const created = job();
    await storage.jobsCreate({ jobs: [created] });
    const stored = await storage.jobGet({ id: created.id });
    expect(Math.abs(stored!.createdAt.getTime() - (await storage.now()))).toBeLessThan(5_000);
  });

  it('delivers events to storages in other processes and does not repeat its own', async () => {
    const prefix = freshPrefix('events');
    const writer = await open({ prefix });
    const reader = await open({ prefix });
    const seenByReader: StorageEvent[] = [];
    const seenByWriter: StorageEvent[] = [];
    reader.subscribe((e) => seenByReader.push(e));
    writer.subscribe((e) => seenByWriter.push(e));
    // Let both subscriptions reach Redis before writing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const created = job({ queue: 'wake-me' });
    await writer.jobsCreate({ jobs: [created] });
    await waitFor(() => seenByReader.some((e) => e.type === 'jobs-enqueued' && e.queues.includes('wake-me')), 'the event in the other storage');
    await writer.jobSetState({ id: created.id, expected: ['enqueued'], state: 'deleted', reason: 'test' });
    await waitFor(() => seenByReader.some((e) => e.type === 'job-state' && e.id === created.id && e.state === 'deleted'), 'the job-state event');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seenByWriter.filter((e) => e.type === 'jobs-enqueued' && e.queues.includes('wake-me'))).toHaveLength(1);
    expect(seenByWriter.filter((e) => e.type === 'job-state' && e.id === created.id)).toHaveLength(1);
  });

  it('drops a job-state event from another process that is older than its own fetch of that job', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const storage = await open({ clock });
    const events: StorageEvent[] = [];
    storage.subscribe((e) => events.push(e));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const created = job();
    await storage.jobsCreate({ jobs: [created] });
    const before = clock.now();
    clock.advance(1_000);
    await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 's', leaseMs: 30_000 });
    // As another process would publish them: origin, the time of the change, the events.
    await admin.publish(`${storage.keyBase}events`, `elsewhere\n${before}\nj ${created.id} enqueued`);
    await admin.publish(`${storage.keyBase}events`, `elsewhere\n${clock.now() + 1}\nj ${created.id} deleted`);
    await waitFor(() => events.some((e) => e.type === 'job-state' && e.state === 'deleted'), 'the newer event');
    expect(events.filter((e) => e.type === 'job-state' && e.id === created.id).map((e) => (e.type === 'job-state' ? e.state : ''))).toEqual(['deleted']);
  });

  it('bounds the work of one list call, carrying on by cursor', async () => {
    const storage = await open();
    const total = LIST_SCAN_BUDGET + 500;
    for (let i = 0; i < total; i += 1000) {
      await storage.jobsCreate({ jobs: Array.from({ length: Math.min(1000, total - i) }, (_, k) => job({ args: { n: i + k } })) });
    }
    const needle = job({ args: { needle: 'findme' } });
    // The match is the oldest job: newest first, a budget-bounded scan cannot reach it in one call.
    await storage.jobsCreate({ jobs: [{ ...needle, id: '00000000-0000-7000-8000-000000000001' }] });
    const first = await storage.monitoring.jobsList({ search: 'findme', limit: 10 });
    expect(first.jobs).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    const second = await storage.monitoring.jobsList({ search: 'findme', limit: 10, cursor: first.nextCursor });
    expect(second.jobs.map((j) => j.args)).toEqual([{ needle: 'findme' }]);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses to start against a Redis that evicts keys, and says how to fix it', async (ctx) => {
    if (!redisServerInstalled()) return ctx.skip();
    const server = new RedisServerProcess(await freePort(), ['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru']);
    try {
      await server.start();
      const refused = new RedisStorage({ url: server.url });
      storages.push(refused);
      const error = await refused.init().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_CONFIG' });
      expect((error as Error).message).toContain('allkeys-lru');
      expect((error as Error).message).toContain('CONFIG SET maxmemory-policy noeviction');
      const allowed = new RedisStorage({ url: server.url, allowEvictionPolicy: true });
      storages.push(allowed);
      await allowed.init();
      expect((await allowed.jobsCreate({ jobs: [job()] })).jobs[0]!.created).toBe(true);
    } finally {
      for (const storage of storages.splice(0)) await storage.close();
      await server.dispose();
    }
  });

  it('accepts the volatile eviction policies, which never pick keys without a TTL', async (ctx) => {
    if (!redisServerInstalled()) return ctx.skip();
    const server = new RedisServerProcess(await freePort(), ['--maxmemory', '100mb', '--maxmemory-policy', 'volatile-lru']);
    try {
      await server.start();
      const storage = new RedisStorage({ url: server.url });
      storages.push(storage);
      await storage.init();
    } finally {
      for (const storage of storages.splice(0)) await storage.close();
      await server.dispose();
    }
  });

  it('reconnects by itself after Redis restarts, reloading its scripts and waking its listeners', async (ctx) => {
    if (!redisServerInstalled()) return ctx.skip();
    const server = new RedisServerProcess(await freePort(), ['--appendonly', 'yes', '--appendfsync', 'always']);
    try {
      await server.start();
      const clock = new ManualClock(Date.now());
      const storage = new RedisStorage({ url: server.url }, { clock });
      storages.push(storage);
      await storage.init();
      const events: StorageEvent[] = [];
      storage.subscribe((e) => events.push(e));
      const before = job();
      await storage.jobsCreate({ jobs: [before] });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.kill();
      events.length = 0;
      await server.start();
      // The AOF kept the job; the script cache was empty and is refilled on demand.
      const fetched = await waitFor(
        () => storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 's', leaseMs: 30_000 }).catch(() => null),
        'a fetch after the restart',
      );
      expect(fetched.map((j) => j.id)).toEqual([before.id]);
      await waitFor(() => events.some((e) => e.type === 'jobs-enqueued'), 'a catch-up wake-up after the reconnection');
    } finally {
      for (const storage of storages.splice(0)) await storage.close();
      await server.dispose();
    }
  });
});
