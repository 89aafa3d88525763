import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser } from './browser.js';
import type { Seeded } from './fixtures.js';
import { Gate, seed, BY_NAME } from './fixtures.js';
import { listen } from './http-harness.js';

const available = browserAvailable();

/** More log lines than one read of a job returns (500). */
const LONG_LOG = 510;

describe.skipIf(!available)('pages that follow storage as it changes, in a real browser', () => {
  let seeded: Seeded;
  let browser: Browser;
  let page: Page;
  let url: string;
  let close: () => Promise<void>;
  /** A dashboard whose fallback read and polling are an hour apart: what it shows within a second came by push. */
  let pushOnly: { url: string; close(): Promise<void> };
  const chatty = { more: new Gate(), done: new Gate() };
  const quick = defineJob('pings.send', async (args: { n: number }) => ({ pong: args.n }));
  const verbose = defineJob('logs.write', async (_args: Record<string, never>, ctx) => {
    for (let i = 1; i <= LONG_LOG; i++) ctx.log.info(`line ${i} of the long log`);
    await chatty.more.opened;
    ctx.log.info('written after the first 510 lines');
    await chatty.done.opened;
  });

  beforeAll(async () => {
    // Defined before the seeded server starts: a server runs the job names it knows at its start.
    const spool = new Spool({ storage: new MemoryStorage() });
    spool.define(quick, verbose);
    seeded = await seed(spool);
    const server = await listen(createDashboard(seeded.spool, { basePath: '/spool', pollInterval: 300 }));
    url = `${server.url}/spool`;
    close = server.close;
    const slow = await listen(createDashboard(seeded.spool, { basePath: '/spool', pollInterval: '1h' }));
    pushOnly = { url: `${slow.url}/spool`, close: slow.close };
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 860 } })).newPage();
  });

  afterAll(async () => {
    chatty.more.release();
    chatty.done.release();
    await browser?.close();
    await close?.();
    await pushOnly?.close();
    await seeded?.close();
  });

  const stat = (state: string) => page.textContent(`.cards [data-stat="${state}"]`);

  it('moves the history graph with the cards as jobs finish', async () => {
    await page.goto(`${url}/`);
    const legend = page.locator('[data-history-total="succeeded"]');
    const before = Number(await legend.textContent());
    const cards = Number(await stat('succeeded'));
    await seeded.spool.enqueueMany(quick, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    await page.waitForFunction(([n]) => document.querySelector('.cards [data-stat="succeeded"]')?.textContent === String(n), [cards + 3], { timeout: 5000 });
    await expect.poll(() => legend.textContent(), { timeout: 5000 }).toBe(String(before + 3));
    const bars = await page.locator('[data-chart="history"] g.bar title').allTextContents();
    expect(bars.some((t) => t.includes(`${before + 3} succeeded`))).toBe(true);
  });

  it('keeps following a job’s log past the first 500 lines', async () => {
    const id = await seeded.spool.enqueue(verbose, {});
    await page.goto(`${url}/job/${id}`);
    await page.waitForSelector(`text=line ${LONG_LOG} of the long log`, { timeout: 5000 });
    chatty.more.release();
    await page.waitForSelector('text=written after the first 510 lines', { timeout: 5000 });
    chatty.done.release();
  });

  it('says Live, not Offline, on a page that is not there', async () => {
    await page.goto(`${url}/job/0190a000-0000-7000-8000-000000000000`);
    expect(await page.textContent('h1')).toBe('Job not found');
    // Two rounds of live updates (each moves the navigation's count): the page has refreshed itself since.
    for (const n of [1, 2]) {
      const enqueued = Number(await page.textContent('[data-count="enqueued"]'));
      await seeded.spool.enqueue('nobody.runs', { n }, { ...BY_NAME, queue: 'unserved' });
      await page.waitForFunction(([want]) => document.querySelector('[data-count="enqueued"]')?.textContent === String(want), [enqueued + 1], { timeout: 5000 });
    }
    expect(await page.textContent('[data-live-dot]')).toBe('Live');
  });

  it('shows a state change on a list and on a job page within a second, pushed over one stream', async () => {
    const requests: string[] = [];
    const p = await page.context().newPage();
    p.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await p.goto(`${pushOnly.url}/jobs/scheduled`);
    await p.waitForFunction(() => document.querySelector('[data-live-dot]')?.textContent === 'Live');
    await seeded.spool.schedule('emails.send', { to: 'pushed@example.com', subject: 'Pushed' }, { delay: '5h' });
    await p.waitForSelector('text=pushed@example.com', { timeout: 1000 });
    const id = await seeded.spool.schedule('emails.send', { to: 'watched@example.com', subject: 'Watched' }, { delay: '5h' });
    await p.goto(`${pushOnly.url}/job/${id}`);
    await p.waitForSelector('[data-job-state] .state-scheduled');
    await seeded.spool.delete(id);
    await p.waitForSelector('[data-job-state] .state-deleted', { timeout: 1000 });
    expect(requests.filter((r) => r.endsWith('/api/live'))).toHaveLength(2);
    expect(requests.filter((r) => r.endsWith('/api/stats') || r.includes('/api/job/'))).toEqual([]);
    await p.close();
  });

  it('falls back to polling when the stream cannot open', async () => {
    const p = await page.context().newPage();
    await p.route('**/api/live*', (route) => route.fulfill({ status: 503, body: 'no streams here' }));
    const polled = p.waitForRequest((r) => r.url().endsWith('/api/stats'));
    await p.goto(`${url}/jobs/scheduled`);
    await polled;
    await seeded.spool.schedule('emails.send', { to: 'polled@example.com', subject: 'Polled' }, { delay: '5h' });
    await p.waitForSelector('text=polled@example.com', { timeout: 5000 });
    await p.close();
  });
});
