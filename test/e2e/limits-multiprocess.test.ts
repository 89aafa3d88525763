import { fork, type ChildProcess } from 'node:child_process';

import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from 'spool';

import { e2eStorageKinds } from './e2e-storages.js';

// Flow control across processes: three worker processes on one storage run a job whose definition
// allows 2 at once in all and 1 per key. Every start and end is reported to this process with the
// machine's clock; at no instant may more run than the limits allow.

const WORKER = new URL('./fixtures/limits-worker.mjs', import.meta.url);
const JOBS = 60;
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Report = { event: 'start' | 'end'; id: string; key: string; at: number } | { ready: string };

function startWorker(storage: string, reports: Array<Extract<Report, { event: string }>>): Promise<ChildProcess> {
  const child = fork(WORKER, { env: { ...process.env, SPOOL_STORAGE: storage }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.on('message', (message: Report) => {
      if ('ready' in message) resolve(child);
      else reports.push(message);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

/** The most jobs running at one instant, in all and per key, from the start and end reports. */
function mostRunning(reports: ReadonlyArray<{ event: 'start' | 'end'; key: string; at: number }>): { all: number; perKey: number } {
  // At equal times an end comes first: a job that ends as another starts did not overlap it.
  const ordered = [...reports].sort((a, b) => a.at - b.at || (a.event === 'end' ? -1 : 1));
  let running = 0;
  let all = 0;
  let perKey = 0;
  const byKey = new Map<string, number>();
  for (const r of ordered) {
    const delta = r.event === 'start' ? 1 : -1;
    running += delta;
    byKey.set(r.key, (byKey.get(r.key) ?? 0) + delta);
    all = Math.max(all, running);
    perKey = Math.max(perKey, byKey.get(r.key)!);
  }
  return { all, perKey };
}

async function drainWithThreeWorkers(storage: string): Promise<void> {
  const spool = new Spool({ storage });
  cleanups.push(() => spool.close());
  const keys = ['ann', 'bo', 'cy', 'di'];
  await spool.enqueueMany('e2e.limited', Array.from({ length: JOBS }, (_, i) => ({ key: keys[i % keys.length], ms: 15 })), { queue: 'default', attempts: 3, timeout: null });
  const reports: Array<Extract<Report, { event: string }>> = [];
  const workers = await Promise.all([0, 1, 2].map(() => startWorker(storage, reports)));
  const deadline = Date.now() + 60_000;
  while ((await spool.stats()).states.succeeded < JOBS) {
    if (Date.now() > deadline) throw new Error(`only ${(await spool.stats()).states.succeeded} of ${JOBS} jobs succeeded in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const worker of workers) worker.send('stop');
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.exitCode !== null ? resolve(null) : w.once('exit', resolve)))));

  expect(reports.filter((r) => r.event === 'start')).toHaveLength(JOBS);
  const most = mostRunning(reports);
  expect(most.all).toBeLessThanOrEqual(2);
  expect(most.perKey).toBe(1);
  // The limit was reached: the processes did run two at once.
  expect(most.all).toBe(2);
  const view = await spool.limits.get({ job: 'e2e.limited' });
  expect(view).toMatchObject({ source: 'code', running: 0 });
}

const kinds = await e2eStorageKinds();

describe('limits across worker processes', () => {
  for (const kind of kinds) {
    it.skipIf(!kind.up)(`never run more than the limits allow on one ${kind.name} storage`, async () => {
      const storage = kind.fresh('limits');
      cleanups.push(storage.cleanup);
      await drainWithThreeWorkers(storage.url);
    });
  }
});
