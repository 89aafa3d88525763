import { hostname } from 'node:os';

import type { Completion, Storage } from '@spool/core';
import { Spool } from '@spool/core';
import { encodeCursor } from '@spool/core/storage-kit';

/** The dataset's jobs have no definitions here (no server runs them): their options are stated. */
const DATASET_JOB_OPTIONS = { queue: 'default', attempts: 10, timeout: null } as const;

/** Ids the page measurements need: one job to open, a cursor deep in the list, an argument to search. */
export interface DatasetFacts {
  jobId: string;
  deepCursor: string;
  rareArgument: string;
}

const NAMES = ['orders.process', 'emails.send', 'reports.build'] as const;
const QUEUES = ['default', 'mail', 'reports'] as const;
const BATCH = 5000;

/**
 * Fills a storage with `total` jobs the way a busy system leaves them: most succeeded (with their
 * full history), some failed, some still enqueued, scheduled, awaiting, deleted and running, plus
 * recurring jobs and servers. Reuses the data when the storage already holds jobs.
 */
export async function dataset(storage: Storage, total: number, log: (line: string) => void): Promise<{ spool: Spool; facts: DatasetFacts }> {
  const spool = new Spool({ storage });
  await spool.init();
  const counts = (await storage.monitoring.stats()).states;
  const fresh = Object.values(counts).every((n) => n === 0);
  const serverId = `bench:${hostname()}`;
  if (fresh) {
    const started = performance.now();
    for (let made = 0; made < total; made += BATCH) {
      const n = Math.min(BATCH, total - made);
      for (let q = 0; q < QUEUES.length; q++) {
        const args = [];
        for (let i = q; i < n; i += QUEUES.length) {
          const k = made + i;
          args.push({ orderId: k, customer: `customer-${k % 9973}`, email: `user${k}@example.com`, total: (k % 500) + 0.99 });
        }
        await spool.enqueueMany(NAMES[q]!, args, { ...DATASET_JOB_OPTIONS, queue: QUEUES[q]! });
      }
      // Run most of them: 96% of each batch finish (1 in 30 of those fail), the rest stay enqueued.
      let left = Math.floor(n * 0.96);
      while (left > 0) {
        const fetched = await storage.jobsFetch({ queues: QUEUES, names: null, limit: Math.min(1000, left), serverId, leaseMs: 60_000 });
        if (fetched.length === 0) break;
        left -= fetched.length;
        const completions: Completion[] = fetched.map((job, i) => ({
          id: job.id,
          leaseToken: job.leaseToken,
          outcome:
            i % 30 === 0
              ? { state: 'failed', reason: 'Failed', error: { name: 'Error', message: `payment provider timed out for order ${job.id}`, stack: 'Error: payment provider timed out\n    at charge (orders.ts:42:11)' } }
              : { state: 'succeeded', reason: 'Succeeded', result: { ok: true } },
        }));
        await storage.jobsComplete({ completions, serverId });
      }
      if ((made / BATCH) % 20 === 0) log(`  ${(made + n).toLocaleString('en-US')} jobs (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    for (let i = 0; i < 2000; i++) await spool.schedule('emails.send', { email: `later${i}@example.com` }, { ...DATASET_JOB_OPTIONS, delay: `${1 + (i % 48)}h` });
    const parents = await spool.enqueueMany('orders.process', Array.from({ length: 500 }, (_, i) => ({ orderId: `p${i}` })), { ...DATASET_JOB_OPTIONS, queue: 'reports' });
    for (const parent of parents) await spool.continueWith(parent, 'emails.send', { email: 'receipt@example.com' }, DATASET_JOB_OPTIONS);
    for (const id of parents.slice(0, 300)) await spool.delete(id);
    await storage.jobsFetch({ queues: ['reports'], names: null, limit: 40, serverId, leaseMs: 3_600_000 });
    for (let i = 0; i < 50; i++) await spool.recurring.addOrUpdate(`maintenance.task-${i}`, 'reports.build', { i }, { ...DATASET_JOB_OPTIONS, cron: `${i % 60} ${i % 24} * * *`, timezone: 'Europe/Berlin' });
  }
  for (let i = 0; i < 3; i++) {
    await storage.serverHeartbeat({ server: { id: `${serverId}:${i}`, hostname: hostname(), pid: process.pid, queues: [...QUEUES], concurrency: 20, jobNames: [...NAMES], running: 13, startedAt: new Date() } });
  }
  // An old job (the 4,243rd made): its page, and a cursor that far down the newest-first list.
  const sample = await storage.monitoring.jobsList({ limit: 1, search: 'user4242@example.com' });
  const jobId = sample.jobs[0]?.id ?? (await storage.monitoring.jobsList({ limit: 1 })).jobs[0]!.id;
  return { spool, facts: { jobId, deepCursor: encodeCursor(jobId), rareArgument: 'user4242@example.com' } };
}
