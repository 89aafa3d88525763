import type { Server } from '@spool/core';
import { MemoryStorage, Spool, defineJob, unrecoverable } from '@spool/core';

/** Values that would run script if any page rendered them unescaped. */
export const HOSTILE = {
  script: '<script>window.__xss = 1</script>',
  attribute: '"><img src=x onerror="window.__xss = 2">',
  single: "'><svg onload=\"window.__xss = 3\">",
} as const;

/** A gate a running job waits on, opened by the test. */
export class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release(): void {
    this.open();
  }
}

/** A seeded Spool: jobs in every state, logs, progress, errors, recurring jobs and a live server. */
export interface Seeded {
  spool: Spool;
  server: Server;
  ids: { succeeded: string[]; failed: string[]; processing: string; awaiting: string; scheduled: string[]; enqueued: string[]; deleted: string; hostile: string };
  gates: { halfway: Gate; finish: Gate };
  close(): Promise<void>;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Seeds a memory storage with a realistic small workload (a real server runs the jobs). */
export async function seed(spool = new Spool({ storage: new MemoryStorage() })): Promise<Seeded> {
  const gates = { halfway: new Gate(), finish: new Gate() };
  const send = defineJob(
    'emails.send',
    async (args: { to: string; subject: string }, ctx) => {
      ctx.log.info(`connecting to smtp for ${args.to}`);
      ctx.log.debug('250 OK');
      await ctx.progress(100);
      return { delivered: true, to: args.to };
    },
    { queue: 'mail' },
  );
  const build = defineJob(
    'reports.build',
    async (args: { report: string }, ctx) => {
      ctx.log.warn(`rendering ${args.report}`);
      ctx.log.error(HOSTILE.script);
      throw unrecoverable(new TypeError(`template failed near ${HOSTILE.attribute}`));
    },
    { attempts: 1 },
  );
  const transcode = defineJob(
    'video.transcode',
    async (args: { file: string }, ctx) => {
      ctx.log.info(`probing ${args.file}`);
      await ctx.progress(42);
      await gates.halfway.opened;
      await ctx.progress(80);
      ctx.log.info('halfway there: audio muxed');
      await gates.finish.opened;
      return { output: `${args.file}.webm` };
    },
    { queue: 'media' },
  );
  spool.define(send, build, transcode);
  await spool.init();
  const succeeded = await spool.enqueueMany(send, [
    { to: 'ada@example.com', subject: 'Welcome aboard' },
    { to: 'grace@example.com', subject: 'Your invoice' },
    { to: 'linus@example.com', subject: 'Password reset' },
    { to: 'margaret@example.com', subject: 'Weekly digest' },
  ]);
  const hostile = await spool.enqueue(send, { to: HOSTILE.attribute, subject: HOSTILE.script });
  const failed = [await spool.enqueue(build, { report: 'q3-revenue' }), await spool.enqueue(build, { report: HOSTILE.single })];
  const processing = await spool.enqueue(transcode, { file: 'launch-video.mov' });
  const server = await spool.startServer({ queues: ['default', 'mail', 'media'], concurrency: 4, pollInterval: '50ms', name: 'web-1' });
  await until(async () => {
    const s = await spool.stats();
    return s.states.succeeded === 5 && s.states.failed === 2 && s.states.processing === 1;
  }, 'the seeded jobs to run');
  await until(async () => (await spool.getJob(processing))?.progress === 42, 'progress 42');
  const awaiting = await spool.continueWith(processing, send, { to: 'ops@example.com', subject: 'Video ready' });
  const scheduled = [
    await spool.schedule(send, { to: 'later@example.com', subject: 'Reminder' }, { delay: '2h' }),
    await spool.schedule(build, { report: 'monthly' }, { delay: '1d' }),
  ];
  const enqueued = await spool.enqueueMany('exports.csv', [{ table: 'orders' }, { table: 'customers' }, { table: 'invoices' }], { ...BY_NAME, queue: 'exports' });
  const deleted = await spool.enqueue('exports.csv', { table: 'obsolete' }, { ...BY_NAME, queue: 'exports' });
  await spool.delete(deleted);
  await spool.recurring.addOrUpdate('reports.nightly', build, { report: 'nightly' }, { cron: '0 2 * * *', timezone: 'Europe/Berlin' });
  await spool.recurring.addOrUpdate('cache.warm', 'cache.warm', {}, { ...BY_NAME, cron: '*/5 * * * *' });
  await spool.recurring.addOrUpdate('billing.monthly', 'billing.run', { plan: 'pro' }, { ...BY_NAME, cron: '0 9 1 * *', timezone: 'America/New_York' });
  await spool.recurring.pause('billing.monthly');
  return {
    spool,
    server,
    ids: { succeeded, failed, processing, awaiting, scheduled, enqueued, deleted, hostile },
    gates,
    async close() {
      gates.halfway.release();
      gates.finish.release();
      await spool.close();
    },
  };
}

/** The options of a job this test process has no definition of: enqueue by name must state them. */
export const BY_NAME = { queue: 'default', attempts: 10, timeout: null } as const;
