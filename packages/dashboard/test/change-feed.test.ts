import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import type { Storage } from '@spool/core';
import { MemoryStorage, Spool } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';
import { SqliteStorage } from '@spool/sqlite';

import type { Change } from '../src/live/change-feed.js';
import { ChangeFeed } from '../src/live/change-feed.js';
import { BY_NAME } from './fixtures.js';

const POSTGRES_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The next change the feed reports, or an error after `timeoutMs` (a bound, not a measurement). */
function nextChange(feed: ChangeFeed, what: (change: Change) => boolean, timeoutMs = 10_000): Promise<Change> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching change within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = feed.listen((change) => {
      if (!what(change)) return;
      clearTimeout(timer);
      stop();
      resolve(change);
    });
  });
}

async function postgresUp(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}`);
    console.warn(`\n!!! SKIPPING the dashboard's PostgreSQL feed test: no PostgreSQL at ${POSTGRES_URL}\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const pgUp = await postgresUp();

describe('the live feed of the open pages', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const feedOn = (storage: Storage, fallbackMs: number): ChangeFeed => new ChangeFeed(storage, { minGapMs: 50, fallbackMs, onError: (e) => { throw e; } });

  it('reports changes in the same process by notification, with each job that changed state', async () => {
    const spool = new Spool({ storage: new MemoryStorage() });
    cleanups.push(() => spool.close());
    await spool.init();
    // An hour between fallback reads: what arrives sooner came by notification.
    const feed = feedOn(spool.storage, 3_600_000);
    const enqueued = nextChange(feed, (c) => c.stats.states.enqueued === 1);
    const id = await spool.enqueue('reports.build', { month: 'may' }, BY_NAME);
    expect((await enqueued).statsChanged).toBe(true);
    const deleted = nextChange(feed, (c) => c.jobs.has(id));
    await spool.delete(id);
    const change = await deleted;
    expect(change.jobs.get(id)).toBe('deleted');
    expect(change.stats.states.deleted).toBe(1);
  });

  it('gathers a burst of writes into a few changes', async () => {
    const spool = new Spool({ storage: new MemoryStorage() });
    cleanups.push(() => spool.close());
    await spool.init();
    const feed = new ChangeFeed(spool.storage, { minGapMs: 1_000, fallbackMs: 3_600_000, onError: (e) => { throw e; } });
    const seen: Change[] = [];
    const stop = feed.listen((c) => seen.push(c));
    const all = nextChange(feed, (c) => c.stats.states.enqueued === 200);
    for (let i = 0; i < 200; i++) await spool.enqueue('pings.send', { i }, BY_NAME);
    await all;
    stop();
    // 200 writes, one read per gathered second at most: a handful of changes, not 200.
    expect(seen.length).toBeLessThan(10);
  });

  it('sees another process’s writes to a SQLite file through the fallback read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-feed-'));
    const path = join(dir, 'spool.db');
    const watched = new Spool({ storage: new SqliteStorage({ path }) });
    const writer = new Spool({ storage: new SqliteStorage({ path }) });
    cleanups.push(async () => {
      await watched.close();
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await watched.init();
    await writer.init();
    const feed = feedOn(watched.storage, 100);
    const changed = nextChange(feed, (c) => c.stats.states.scheduled === 1);
    await writer.schedule('reports.build', {}, { ...BY_NAME, delay: '1h' });
    expect((await changed).statsChanged).toBe(true);
  });

  it.skipIf(!pgUp)('hears another process’s writes on PostgreSQL by LISTEN/NOTIFY, without the fallback read', async () => {
    const schema = `spool_feed_${Math.random().toString(16).slice(2, 10)}`;
    const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema });
    const watched = new Spool({ storage });
    const writer = new Spool({ storage: new PostgresStorage({ connectionString: POSTGRES_URL, schema }) });
    cleanups.push(async () => {
      await watched.close();
      await writer.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });
    await watched.init();
    await writer.init();
    const feed = feedOn(watched.storage, 3_600_000);
    // An open page keeps the feed subscribed for the whole test: between two awaited changes the
    // feed has no other listener, and would close its LISTEN connection and open it again.
    const page = feed.listen(() => undefined);
    cleanups.push(page);
    const changed = nextChange(feed, (c) => c.stats.states.enqueued === 1);
    // The feed's subscription opens the LISTEN connection: write once it is there (a bounded wait).
    for (let i = 0; i < 500 && storage.listenConnections === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(storage.listenConnections).toBe(1);
    const id = await writer.enqueue('reports.build', { month: 'june' }, BY_NAME);
    await changed;
    const deleted = nextChange(feed, (c) => c.jobs.has(id));
    await writer.delete(id);
    expect((await deleted).jobs.get(id)).toBe('deleted');
  });
});
