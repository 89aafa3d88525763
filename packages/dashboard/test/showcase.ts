import type { Server } from '@spool/core';
import { MemoryStorage, MetricsRecorder, Spool, defineJob, unrecoverable } from '@spool/core';

import { BY_NAME, Gate } from './fixtures.js';

/**
 * A stack as a deployed application's would read (the application under /srv/shop, Spool under its
 * node_modules): the documentation's pictures must show no path of the machine that took them.
 */
const DEPLOYED_STACK = `Error: the payment provider refused the capture: card_declined
    at capturePayment (/srv/shop/dist/billing/payments.js:88:11)
    at async chargeOrder (/srv/shop/dist/billing/charge-order.js:41:5)
    at async perform (/srv/shop/node_modules/@spool/core/dist/server/perform.js:52:24)
    at async JobRunner.runOne (/srv/shop/node_modules/@spool/core/dist/server/job-runner.js:97:28)
    at async FetchLoop.start (/srv/shop/node_modules/@spool/core/dist/server/fetch-loop.js:64:13)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;

/** A shop's background work in every state, for the documentation's screenshots. */
export interface Showcase {
  spool: Spool;
  server: Server;
  /** `waiting`: a catalog import held back by its job's limit (1 at once) while another runs. */
  ids: { failed: string; processing: string; succeeded: string; waiting: string; scheduled: string; flow: string };
  close(): Promise<void>;
}

/**
 * A day of the shop's job metrics, as its servers would have added them: a daily rhythm of mail,
 * billing and imports with a few failures, drawn by fixed rules (the pictures are the same each time).
 */
async function seedMetricsHistory(spool: Spool): Promise<void> {
  const recorder = new MetricsRecorder();
  const now = Date.now();
  const jobs = [
    { name: 'emails.receipt', queue: 'mail', perMinute: 24, failEvery: 97, runMs: 180, waitMs: 40 },
    { name: 'billing.charge-order', queue: 'billing', perMinute: 9, failEvery: 23, runMs: 650, waitMs: 120 },
    { name: 'catalog.import', queue: 'imports', perMinute: 0.2, failEvery: 0, runMs: 95_000, waitMs: 2_500 },
    { name: 'search.reindex', queue: 'search', perMinute: 1.5, failEvery: 0, runMs: 7_800, waitMs: 900 },
    { name: 'reports.sales', queue: 'default', perMinute: 0.05, failEvery: 0, runMs: 31_000, waitMs: 300 },
  ];
  let n = 0;
  for (let minute = 1439; minute >= 0; minute--) {
    const at = now - minute * 60_000;
    // Busier in the day than at night, with a wobble from minute to minute.
    const load = 0.55 + 0.45 * Math.sin((minute / 1440) * 2 * Math.PI) + 0.15 * Math.sin(minute / 7);
    for (const job of jobs) {
      const count = Math.floor(job.perMinute * load + ((minute * 7 + job.name.length) % 10) / 10);
      for (let i = 0; i < count; i++) {
        n++;
        const spread = 0.6 + ((n * 37) % 100) / 80 + (n % 53 === 0 ? 4 : 0);
        recorder.started(job.name, job.queue, at, job.waitMs * spread);
        const failed = job.failEvery > 0 && n % job.failEvery === 0;
        recorder.outcome(job.name, job.queue, failed ? (n % 2 === 0 ? 'retried' : 'failed') : 'succeeded', at, job.runMs * spread);
      }
    }
  }
  await spool.storage.metricsRecord({ counts: recorder.take() });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Seeds a memory storage with a shop's jobs (a real server runs them) and recurring work. */
export async function showcase(): Promise<Showcase> {
  const spool = new Spool({ storage: new MemoryStorage() });
  const hold = new Gate();
  const receipt = defineJob(
    'emails.receipt',
    async (args: { to: string; order: string }, ctx) => {
      ctx.log.info(`sending the receipt of ${args.order} to ${args.to}`);
      return { messageId: `<${args.order}@mail.shop.example>` };
    },
    { queue: 'mail' },
  );
  const charge = defineJob(
    'billing.charge-order',
    async (args: { order: string; amount: number }, ctx) => {
      ctx.log.info(`capturing ${args.amount.toFixed(2)} EUR for ${args.order}`);
      const error = new Error('the payment provider refused the capture: card_declined');
      error.stack = DEPLOYED_STACK;
      throw unrecoverable(error);
    },
    { queue: 'billing', attempts: 1, onExhausted: 'dead-letter' },
  );
  const catalog = defineJob(
    'catalog.import',
    async (args: { feed: string }, ctx) => {
      ctx.log.info(`downloading ${args.feed}`);
      ctx.log.info('12,480 products in the feed');
      await ctx.progress(64);
      ctx.log.info('7,990 products imported, 0 rejected');
      await hold.opened;
      return { imported: 12_480 };
    },
    { queue: 'imports', timeout: '20m', limits: { concurrency: 1 } },
  );
  spool.define(receipt, charge, catalog);
  await spool.init();
  const sent = await spool.enqueueMany(receipt, [
    { to: 'ada@example.com', order: 'A-1041' },
    { to: 'grace@example.com', order: 'A-1042' },
    { to: 'linus@example.com', order: 'A-1043' },
  ]);
  const failed = await spool.enqueue(charge, { order: 'A-1044', amount: 129.9 });
  const processing = await spool.enqueue(catalog, { feed: 'https://supplier.example/feed.xml' });
  const server = await spool.startServer({ queues: ['mail', 'billing', 'imports', 'default'], concurrency: 4, pollInterval: '50ms', name: 'shop-worker-1' });
  await until(async () => {
    const s = await spool.stats();
    return s.states.succeeded === 3 && s.states.failed === 1 && s.states.processing === 1;
  }, 'the showcase jobs to run');
  await until(async () => (await spool.getJob(processing))?.progress === 64, 'progress 64');
  const waiting = await spool.enqueue(catalog, { feed: 'https://supplier.example/feed-eu.xml' });
  await spool.continueWith(processing, receipt, { to: 'ops@shop.example', order: 'catalog import done' });
  await spool.schedule(receipt, { to: 'margaret@example.com', order: 'A-1045' }, { delay: '2h' });
  const scheduled = await spool.schedule('reports.weekly-sales', { week: '2026-W49' }, { ...BY_NAME, delay: '1d' });
  await spool.enqueueMany('search.reindex', [{ index: 'products' }, { index: 'categories' }], { ...BY_NAME, queue: 'search' });
  const cancelled = await spool.enqueue('search.reindex', { index: 'obsolete' }, { ...BY_NAME, queue: 'search' });
  await spool.delete(cancelled);
  await spool.recurring.addOrUpdate('reports.nightly-sales', 'reports.sales', { period: 'day' }, { ...BY_NAME, cron: '0 2 * * *', timezone: 'Europe/Berlin' });
  await spool.recurring.addOrUpdate('cache.warm-storefront', 'cache.warm', {}, { ...BY_NAME, cron: '*/5 * * * *' });
  await spool.recurring.addOrUpdate('billing.monthly-invoices', 'billing.invoices', { plan: 'pro' }, { ...BY_NAME, cron: '0 9 1 * *', timezone: 'America/New_York', jitter: '90s' });
  await spool.recurring.pause('billing.monthly-invoices');
  // An order's flow in a queue no server of the showcase serves: the charge done, shipping and the
  // notice waiting for a slot, the close waiting for both.
  const chargeOrder = defineJob('orders.charge', () => ({ charged: 74.5 }), { queue: 'orders' });
  spool.define(chargeOrder);
  const step = (name: string) => ({ name, job: `orders.${name}`, options: { ...BY_NAME, queue: 'orders' } });
  const flow = await spool.flow(
    [{ name: 'charge', job: chargeOrder }, { ...step('ship'), dependsOn: ['charge'] }, { ...step('notify'), dependsOn: ['charge'] }, { ...step('close'), dependsOn: ['ship', 'notify'] }],
    { description: 'Order A-1046' },
  );
  await spool.perform(flow.jobs['charge']!);
  await spool.limits.set({ queue: 'mail' }, { concurrency: 5, rate: { limit: 50, per: '1s' } }, { setBy: 'ada' });
  await seedMetricsHistory(spool);
  // What operators did today, as the dashboard's actions write it.
  const audited = [
    { actor: 'ada', action: 'queue.pause', subject: 'queue', targets: ['imports'], count: 1, outcome: 'done', message: 'Paused queue imports.' },
    { actor: 'ada', action: 'queue.resume', subject: 'queue', targets: ['imports'], count: 1, outcome: 'done', message: 'Resumed queue imports.' },
    { actor: 'grace', action: 'recurring.backfill', subject: 'recurring', targets: ['reports.nightly-sales'], count: 1, outcome: 'refused', message: 'Backfill: give both the start and the end of the range.' },
    { actor: 'grace', action: 'recurring.trigger', subject: 'recurring', targets: ['cache.warm-storefront'], count: 1, outcome: 'done', message: 'Triggered cache.warm-storefront.' },
    { actor: '10.0.4.17', action: 'jobs.delete', subject: 'jobs', targets: [cancelled], count: 1, outcome: 'done', message: 'Delete: 1 job changed.' },
  ] as const;
  for (const entry of audited) await spool.storage.auditAppend({ entry: { ...entry, targets: [...entry.targets] }, keep: 100 });
  return {
    spool,
    server,
    ids: { failed, processing, succeeded: sent[0]!, waiting, scheduled, flow: flow.id },
    async close() {
      hold.release();
      await spool.close();
    },
  };
}
