import type { Server } from '@spool/core';
import { MemoryStorage, Spool, defineJob, unrecoverable } from '@spool/core';

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
  ids: { failed: string; processing: string; succeeded: string; waiting: string };
  close(): Promise<void>;
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
    { queue: 'billing', attempts: 1 },
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
  await spool.schedule('reports.weekly-sales', { week: '2026-W49' }, { ...BY_NAME, delay: '1d' });
  await spool.enqueueMany('search.reindex', [{ index: 'products' }, { index: 'categories' }], { ...BY_NAME, queue: 'search' });
  const cancelled = await spool.enqueue('search.reindex', { index: 'obsolete' }, { ...BY_NAME, queue: 'search' });
  await spool.delete(cancelled);
  await spool.recurring.addOrUpdate('reports.nightly-sales', 'reports.sales', { period: 'day' }, { ...BY_NAME, cron: '0 2 * * *', timezone: 'Europe/Berlin' });
  await spool.recurring.addOrUpdate('cache.warm-storefront', 'cache.warm', {}, { ...BY_NAME, cron: '*/5 * * * *' });
  await spool.recurring.addOrUpdate('billing.monthly-invoices', 'billing.invoices', { plan: 'pro' }, { ...BY_NAME, cron: '0 9 1 * *', timezone: 'America/New_York', jitter: '90s' });
  await spool.recurring.pause('billing.monthly-invoices');
  await spool.limits.set({ queue: 'mail' }, { concurrency: 5, rate: { limit: 50, per: '1s' } }, { setBy: 'ada' });
  return {
    spool,
    server,
    ids: { failed, processing, succeeded: sent[0]!, waiting },
    async close() {
      hold.release();
      await spool.close();
    },
  };
}
