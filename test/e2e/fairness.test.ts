import { afterEach, describe, expect, it } from 'vitest';
import { Spool, defineJob } from 'spool';

import { e2eStorageKinds } from './e2e-storages.js';

// Fairness at the scale: 10,000 jobs of key A wait, then 10 of key B are enqueued. With a
// per-key limit of 2, B's first jobs start before A has finished 2 × 2 more jobs: a key at its
// limit is passed over, so its backlog never hides another key's jobs.

const PER_KEY = 2;
const BIG = 10_000;
const SMALL = 10;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serveSmallKeySoon(storage: string): Promise<void> {
  const sync = defineJob('sync.tenant', async (_args: { tenant: string; n: number }) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }, { limits: { key: (a) => a.tenant, perKey: { concurrency: PER_KEY } } });
  const spool = new Spool({ storage, jobs: [sync] });
  cleanups.push(() => spool.close());
  for (let i = 0; i < BIG; i += 1000) await spool.enqueueMany(sync, Array.from({ length: 1000 }, (_, n) => ({ tenant: 'A', n: i + n })));
  // Room for both keys' limits: the question is only whether A's backlog hides B.
  const server = await spool.startServer({ concurrency: 2 * PER_KEY, handleSignals: false });
  cleanups.push(() => server.stop());
  let bigFinished = 0;
  let bigFinishedAtEnqueue: number | null = null;
  const bigFinishedAtSmallStarts: number[] = [];
  server.events.on('job:succeeded', ({ job }) => {
    if ((job.args as { tenant: string }).tenant === 'A') bigFinished++;
  });
  server.events.on('job:started', ({ job }) => {
    if ((job.args as { tenant: string }).tenant === 'B') bigFinishedAtSmallStarts.push(bigFinished);
  });
  // A's jobs are running when B's arrive.
  while (bigFinished < 2 * PER_KEY) await new Promise((resolve) => setTimeout(resolve, 5));
  bigFinishedAtEnqueue = bigFinished;
  await spool.enqueueMany(sync, Array.from({ length: SMALL }, (_, n) => ({ tenant: 'B', n })));
  const deadline = Date.now() + 30_000;
  while (bigFinishedAtSmallStarts.length < PER_KEY) {
    if (Date.now() > deadline) throw new Error(`only ${bigFinishedAtSmallStarts.length} of B's jobs started in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await server.stop();
  // B's first PER_KEY jobs started before A finished 2 × PER_KEY more after B was enqueued.
  expect(bigFinishedAtSmallStarts[PER_KEY - 1]! - bigFinishedAtEnqueue).toBeLessThanOrEqual(2 * PER_KEY);
  expect(bigFinished).toBeLessThan(BIG);
}

const kinds = await e2eStorageKinds();

describe(`${BIG} jobs of one key, then ${SMALL} of another, under a per-key limit of ${PER_KEY}`, () => {
  for (const kind of kinds) {
    it.skipIf(!kind.up)(`starts the small key's jobs before the large key has finished ${2 * PER_KEY} more, on ${kind.name}`, async () => {
      const storage = kind.fresh('fair');
      cleanups.push(storage.cleanup);
      await serveSmallKeySoon(storage.url);
    }, 120_000);
  }
});
