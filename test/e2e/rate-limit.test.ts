import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, defineJob } from 'spool';
import type { Server } from 'spool';

// A rate limit held by several servers over a long run: with a large backlog, the starts in each
// window (the storage's own start times) never exceed the limit, and reach it: over the whole run,
// throughput stays within 10 % of the limit.

const POSTGRES_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LIMIT = 20;
const WINDOW_MS = 1000;
const RUN_MS = 30_000;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function postgresUp(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL}`);
    console.warn(`\n!!! SKIPPING the PostgreSQL rate-limit test: no PostgreSQL at ${POSTGRES_URL}\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function holdRate(storage: string): Promise<void> {
  const call = defineJob('payments.charge', () => undefined, { limits: { rate: { limit: LIMIT, per: WINDOW_MS } } });
  // A backlog larger than the run can start: the limit, not the work, sets the pace.
  const backlog = Math.ceil((RUN_MS / WINDOW_MS) * LIMIT * 1.5);
  const client = new Spool({ storage, jobs: [call] });
  cleanups.push(() => client.close());
  for (let i = 0; i < backlog; i += 500) await client.enqueueMany(call, Array.from({ length: Math.min(500, backlog - i) }, (_, n) => ({ n: i + n })));
  const servers: Server[] = [];
  for (let i = 0; i < 3; i++) {
    const spool = new Spool({ storage, jobs: [call] });
    cleanups.push(() => spool.close());
    servers.push(await spool.startServer({ concurrency: 10, handleSignals: false, name: `rate-${i}` }));
  }
  await new Promise((resolve) => setTimeout(resolve, RUN_MS));
  await Promise.all(servers.map((s) => s.stop()));

  const starts: number[] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await client.storage.monitoring.jobsList({ limit: 500, cursor });
    for (const job of page.jobs) if (job.startedAt) starts.push(job.startedAt.getTime());
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const perWindow = new Map<number, number>();
  for (const at of starts) perWindow.set(at - (at % WINDOW_MS), (perWindow.get(at - (at % WINDOW_MS)) ?? 0) + 1);
  expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(LIMIT);
  // The windows between the first and the last started one, both left out (partly inside the run).
  const windows = [...perWindow.keys()].sort((a, b) => a - b);
  const inner = windows.slice(1, -1);
  const full = (windows.at(-1)! - windows[0]!) / WINDOW_MS - 1;
  const started = inner.reduce((sum, w) => sum + perWindow.get(w)!, 0);
  expect(started).toBeGreaterThanOrEqual(0.9 * LIMIT * full);
  expect(full).toBeGreaterThanOrEqual(RUN_MS / WINDOW_MS - 3);
}

const pgUp = await postgresUp();

describe(`a rate limit of ${LIMIT} per second held by three servers for ${RUN_MS / 1000} s`, () => {
  it('on one SQLite file: never more per window, and within 10 % of the limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-rate-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    await holdRate(`sqlite:${join(dir, 'spool.db')}`);
  }, 90_000);

  it.skipIf(!pgUp)('on one PostgreSQL schema: never more per window, and within 10 % of the limit', async () => {
    const schema = `spool_rate_${Math.random().toString(16).slice(2, 10)}`;
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    });
    await holdRate(`${POSTGRES_URL}?schema=${schema}`);
  }, 90_000);
});
