import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

const WORKER = new URL('./fixtures/pdf-worker.mjs', import.meta.url);
const OWNED_OPTIONS = { queue: 'pdf', attempts: 1, timeout: 300 };

let worker: ChildProcess | null = null;
let client: Spool | null = null;
let dir: string;

afterEach(async () => {
  await client?.close();
  client = null;
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  worker = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts the worker that owns `pdf.render`; resolves once its server runs. */
function startWorker(db: string): Promise<ChildProcess> {
  const child = fork(WORKER, { env: { ...process.env, SPOOL_DB: db }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the worker exited early with ${code}`)));
  });
}

/** The worker's report of job `id`'s outcome. */
function outcomeOf(child: ChildProcess, id: string): Promise<string> {
  return new Promise((resolve) => {
    const listen = (message: { event?: string; id?: string }) => {
      if (message.id !== id) return;
      child.off('message', listen);
      resolve(message.event!);
    };
    child.on('message', listen);
  });
}

describe('enqueue by name from a process without the definition (SQLite, two processes)', () => {
  it('refuses a job without the options its definition would give, and stores nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-by-name-'));
    client = new Spool({ storage: new SqliteStorage({ path: join(dir, 'spool.db') }) });
    const error = await client.enqueue('pdf.render', { pages: 3 }).then(
      () => null,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error).toMatchObject({ code: 'ERR_CONFIG' });
    expect(error!.message).toContain('no definition of "pdf.render"');
    expect(error!.message).toContain('missing: queue, attempts, timeout');
    await expect(client.enqueue('pdf.render', { pages: 3 }, { queue: 'pdf' })).rejects.toThrow(/missing: attempts, timeout/);
    await expect(client.enqueueMany('pdf.render', [{ pages: 1 }], { queue: 'pdf', attempts: 1 })).rejects.toThrow(/missing: timeout/);
    await expect(client.schedule('pdf.render', { pages: 1 }, { delay: '1m' })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(client.recurring.addOrUpdate('pdf.nightly', 'pdf.render', { pages: 1 }, { cron: '0 3 * * *' })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    expect((await client.stats()).states).toMatchObject({ enqueued: 0, scheduled: 0 });
  });

  it("runs a job enqueued with its options stated on the server that owns it, under the definition's rules", async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-by-name-'));
    const db = join(dir, 'spool.db');
    client = new Spool({ storage: new SqliteStorage({ path: db }) });
    await client.init();
    worker = await startWorker(db);

    const rendered = await client.enqueue('pdf.render', { pages: 3 }, OWNED_OPTIONS);
    expect(await outcomeOf(worker, rendered)).toBe('job:succeeded');
    expect(await client.getJob(rendered)).toMatchObject({ state: 'succeeded', queue: 'pdf', maxAttempts: 1, timeoutMs: 300, result: { pages: 3, attempt: 1, queue: 'pdf' } });

    // One attempt, as the definition says: a failure is final, not retried nine times.
    const crashed = await client.enqueue('pdf.render', { pages: 1, fail: true }, OWNED_OPTIONS);
    expect(await outcomeOf(worker, crashed)).toBe('job:failed');
    expect(await client.getJob(crashed)).toMatchObject({ state: 'failed', attempt: 1, error: { message: 'the renderer crashed' } });

    worker.send('stop');
    await new Promise((resolve) => worker!.once('exit', resolve));
  });
});
