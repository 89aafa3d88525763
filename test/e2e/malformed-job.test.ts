import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, defineJob } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

let dir: string;
let spool: Spool;

afterEach(async () => {
  await spool?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(check: () => Promise<T | null | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a job whose stored data is malformed', () => {
  it('fails with ERR_MALFORMED_JOB while the server keeps running the other jobs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-malformed-'));
    const path = join(dir, 'spool.db');
    const echo = defineJob('echo', (args: { n: number }) => args.n);
    spool = new Spool({ storage: new SqliteStorage({ path }), jobs: [echo] });
    const good = await spool.enqueue(echo, { n: 1 });
    const bad = await spool.enqueue(echo, { n: 2 });
    const raw = new Database(path);
    raw.prepare('UPDATE spool_jobs SET args = ? WHERE id = ?').run('{"n": 2,', bad);
    raw.close();

    await spool.startServer({ pollInterval: 20, handleSignals: false });
    const failed = await until(async () => {
      const job = await spool.getJob(bad);
      return job?.state === 'failed' ? job : null;
    }, 'the malformed job to fail');
    expect(failed.error).toMatchObject({ code: 'ERR_MALFORMED_JOB' });
    expect(failed.error!.message).toMatch(/args/);
    expect(failed.attempt).toBe(1);
    await until(async () => ((await spool.getJob(good))?.state === 'succeeded' ? true : null), 'the good job');
    const later = await spool.enqueue(echo, { n: 3 });
    const done = await until(async () => {
      const job = await spool.getJob(later);
      return job?.state === 'succeeded' ? job : null;
    }, 'a job enqueued afterwards');
    expect(done.result).toBe(3);
  });
});
