import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser, SCREENSHOTS } from './browser.js';
import type { Seeded } from './fixtures.js';
import { HOSTILE, seed, BY_NAME } from './fixtures.js';

const available = browserAvailable();

describe.skipIf(!available)('the dashboard in a real browser', () => {
  let seeded: Seeded;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  let close: () => Promise<void>;
  const problems: string[] = [];

  beforeAll(async () => {
    seeded = await seed();
    const handler = createDashboard(seeded.spool, { basePath: '/spool', pollInterval: 300 });
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/spool`;
    close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 860 }, colorScheme: 'light', timezoneId: 'Asia/Tokyo' });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await seeded?.close();
  });

  const shot = (name: string, target: Page = page) => target.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  const noScriptRan = async (target: Page = page) => expect(await target.evaluate('window.__xss')).toBeUndefined();

  it('shows the overview with counts, a live throughput graph and the history graph', async () => {
    await page.goto(`${url}/`);
    await expect.poll(() => page.textContent('[data-stat="succeeded"]')).toBe('5');
    expect(await page.textContent('[data-stat="failed"]')).toBe('2');
    await page.waitForSelector('[data-chart="throughput"] svg path.line', { state: 'attached' });
    expect(await page.locator('[data-chart="history"] rect.bar-succeeded').count()).toBeGreaterThan(20);
    await page.click('[data-history-tab="daily"]');
    expect(await page.locator('[data-chart="history"] rect.bar-succeeded').count()).toBe(30);
    await shot('overview');
  });

  it('lists the jobs of every state with what matters for that state', async () => {
    const expectations: Record<string, string> = {
      enqueued: 'exports.csv',
      scheduled: 'reports.build',
      processing: '42%',
      succeeded: 'emails.send',
      failed: 'template failed near',
      deleted: 'obsolete',
      awaiting: 'succeeded',
    };
    for (const [state, text] of Object.entries(expectations)) {
      await page.goto(`${url}/jobs/${state}`);
      expect(await page.textContent('main')).toContain(text);
      await noScriptRan();
      await shot(`jobs-${state}`);
    }
    await page.goto(`${url}/jobs/enqueued?queue=exports`);
    expect(await page.locator('tbody tr').count()).toBe(3);
  });

  it('renders hostile arguments, logs and errors as text and runs none of them', async () => {
    await page.goto(`${url}/job/${seeded.ids.failed[1]}`);
    const main = (await page.textContent('main'))!;
    expect(main).toContain(HOSTILE.script);
    expect(main).toContain(HOSTILE.attribute);
    expect(main).toContain(HOSTILE.single);
    expect(await page.locator('main img, main svg[onload], main script').count()).toBe(0);
    await noScriptRan();
    await shot('job-failed-hostile');
    await page.goto(`${url}/job/${seeded.ids.hostile}`);
    expect(await page.textContent('main')).toContain(HOSTILE.attribute);
    await page.goto(`${url}/search?q=${encodeURIComponent(HOSTILE.script)}`);
    expect(await page.locator('tbody tr').count()).toBe(1);
    await noScriptRan();
    await shot('search-hostile');
  });

  it('shows a running job’s progress and logs as they happen, without reloading', async () => {
    await page.goto(`${url}/job/${seeded.ids.processing}`);
    expect(await page.getAttribute('[data-progress]', 'value')).toBe('42');
    expect(await page.textContent('main')).toContain(seeded.ids.awaiting.slice(0, 8));
    await page.evaluate('window.marker = 1');
    seeded.gates.halfway.release();
    await page.waitForSelector('[data-progress][value="80"]', { state: 'attached' });
    await page.waitForSelector('text=halfway there: audio muxed');
    expect(await page.evaluate('window.marker')).toBe(1);
    await shot('job-processing');
    seeded.gates.finish.release();
    await page.waitForSelector('[data-job-state] .state-succeeded');
    expect(await page.evaluate('window.marker')).toBe(1);
    expect(await page.textContent('main')).toContain('launch-video.mov.webm');
    await shot('job-succeeded');
  });

  it('retries one failed job from its page', async () => {
    await page.goto(`${url}/job/${seeded.ids.failed[0]}`);
    await page.click('form[action$="/actions/jobs"] button:has-text("Retry")');
    await page.waitForSelector('[data-notice]');
    expect(await page.textContent('[data-notice]')).toContain('1 job changed');
    const history = (await seeded.spool.getJob(seeded.ids.failed[0]!))!.history;
    expect(history.some((h) => h.reason === 'Retried from the dashboard')).toBe(true);
  });

  it('deletes a selection of jobs in bulk after confirming', async () => {
    await page.goto(`${url}/jobs/enqueued?queue=exports`);
    await page.check('[data-select-all]');
    expect(await page.textContent('[data-selected-count]')).toBe('3 selected');
    await page.click('button[value="delete"]');
    await page.waitForSelector('[data-notice]');
    expect(await page.textContent('[data-notice]')).toContain('3 jobs changed');
    for (const id of seeded.ids.enqueued) expect((await seeded.spool.getJob(id))?.state).toBe('deleted');
  });

  it('requeues everything matching a filter after a confirmation page with the count', async () => {
    await page.goto(`${url}/jobs/deleted`);
    await page.click('summary:has-text("All matching")');
    await page.click('text=Requeue all matching…');
    await page.waitForSelector('h1:has-text("Requeue 4 jobs?")');
    await shot('confirm-bulk');
    await page.click('[data-confirm-submit]');
    await page.waitForSelector('[data-notice]');
    expect(await page.textContent('[data-notice]')).toContain('4 jobs changed');
    for (const id of [...seeded.ids.enqueued, seeded.ids.deleted]) expect((await seeded.spool.getJob(id))?.state).toBe('enqueued');
  });

  it('triggers, pauses, resumes and deletes recurring jobs', async () => {
    await page.goto(`${url}/recurring`);
    expect(await page.textContent('#r-reports\\.nightly')).toContain('At 02:00 every day');
    expect(await page.textContent('#r-cache\\.warm')).toContain('Every 5 minutes');
    await shot('recurring');
    await page.click('#r-cache\\.warm button:has-text("Trigger now")');
    await page.waitForSelector('[data-notice]:has-text("Triggered cache.warm")');
    await page.click('#r-cache\\.warm button:has-text("Pause")');
    await page.waitForSelector('#r-cache\\.warm .badge.paused');
    expect((await seeded.spool.recurring.get('cache.warm'))?.paused).toBe(true);
    await page.click('#r-cache\\.warm button:has-text("Resume")');
    await page.waitForSelector('[data-notice]:has-text("Resumed cache.warm")');
    expect((await seeded.spool.recurring.get('cache.warm'))?.paused).toBe(false);
    await page.click('#r-cache\\.warm button:has-text("Delete")');
    await page.waitForSelector('[data-notice]:has-text("Deleted recurring job cache.warm")');
    expect(await seeded.spool.recurring.get('cache.warm')).toBeNull();
  });

  it('shows the previous occurrences with what became of each, and backfills a range from a recurring job’s page', async () => {
    const { spool } = seeded;
    // A queue no server of the seed runs, so the first run stays unfinished and the next occurrence is skipped.
    await spool.recurring.addOrUpdate('sync.hourly', 'sync.run', { scope: 'all' }, { ...BY_NAME, cron: '0 * * * *', overlap: 'skip', queue: 'sync' });
    for (let i = 0; i < 2; i++) {
      const record = (await spool.recurring.get('sync.hourly'))!;
      await spool.recurring.fireDue(record, record.nextRunAt!);
    }
    const ours = async () => (await spool.storage.monitoring.jobsList({ queue: 'sync', limit: 100 })).jobs;
    const [running] = await ours();

    await page.goto(`${url}/recurring`);
    const previous = page.locator('#r-sync\\.hourly [data-previous] li');
    expect(await previous.count()).toBe(2);
    expect(await previous.nth(0).getAttribute('data-outcome')).toBe('skipped');
    expect(await previous.nth(0).textContent()).toContain('previous run enqueued');
    expect(await previous.nth(0).getAttribute('title')).toBe(`Skipped: the previous run ${running!.id} is still enqueued (overlap policy 'skip')`);
    expect(await previous.nth(1).getAttribute('data-outcome')).toBe('fired');
    expect(await previous.nth(1).textContent()).toContain('enqueued');
    expect(await page.locator('#r-reports\\.nightly [data-previous]').textContent()).toContain('no occurrence handled yet');
    await shot('recurring-previous');

    await page.click('#r-sync\\.hourly a:has-text("History and backfill")');
    await page.waitForSelector('[data-backfill]');
    expect(await page.locator('[data-history] tr[data-event="skipped"]').textContent()).toContain(`Skipped: the previous run ${running!.id} is still enqueued (overlap policy 'skip')`);
    await page.fill('[data-backfill] input[name="from"]', '2026-01-01T00:00:00');
    await page.fill('[data-backfill] input[name="to"]', '2026-01-01T05:30:00');
    await page.click('[data-backfill] button[type="submit"]');
    await page.waitForSelector('[data-notice]');
    expect(await page.textContent('[data-notice]')).toBe(
      'Backfilled sync.hourly: 6 occurrences from 2026-01-01T00:00:00.000Z to 2026-01-01T05:00:00.000Z, 6 jobs enqueued, 0 already had a job.',
    );
    expect(page.url()).toContain('/recurring/detail?id=sync.hourly');
    const backfilled = (await ours()).filter((j) => j.parameters.recurringOccurrence?.toString().startsWith('2026-01-01'));
    expect(backfilled.map((j) => j.parameters.recurringOccurrence).sort()).toEqual([0, 1, 2, 3, 4, 5].map((h) => `2026-01-01T0${h}:00:00.000Z`));
    expect(await page.locator('[data-history] tr[data-event="backfilled"]').count()).toBe(1);
    await shot('recurring-backfill');

    // The same range again: each occurrence ran once already, so nothing runs twice.
    await page.fill('[data-backfill] input[name="from"]', '2026-01-01T00:00:00');
    await page.fill('[data-backfill] input[name="to"]', '2026-01-01T05:30:00');
    await page.click('[data-backfill] button[type="submit"]');
    await page.waitForSelector('[data-notice]:has-text("0 jobs enqueued, 6 already had a job")');
    expect(await ours()).toHaveLength(7);

    // A range past now, and one over the cap, are refused with the reason.
    const later = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19);
    await page.fill('[data-backfill] input[name="to"]', later);
    await page.click('[data-backfill] button[type="submit"]');
    await page.waitForSelector('[data-notice]:has-text("Backfill refused")');
    expect(await page.textContent('[data-notice]')).toMatch(/at or before now/);
    await page.fill('[data-backfill] input[name="from"]', '2020-01-01T00:00:00');
    await page.fill('[data-backfill] input[name="to"]', '2026-01-01T00:00:00');
    await page.click('[data-backfill] button[type="submit"]');
    await page.waitForSelector('[data-notice]:has-text("at most 1000 occurrences")');
    expect(await ours()).toHaveLength(7);
    await noScriptRan();
  });

  it('pauses and resumes a queue, and shows servers', async () => {
    await page.goto(`${url}/queues`);
    await shot('queues');
    const row = page.locator('tr', { hasText: 'exports' });
    await row.locator('button:has-text("Pause")').click();
    await page.waitForSelector('[data-notice]:has-text("Paused queue exports")');
    expect((await seeded.spool.storage.monitoring.queues()).find((q) => q.name === 'exports')?.paused).toBe(true);
    await page.locator('tr', { hasText: 'exports' }).locator('button:has-text("Resume")').click();
    await page.waitForSelector('[data-notice]:has-text("Resumed queue exports")');
    await page.goto(`${url}/servers`);
    expect(await page.textContent('main')).toContain('web-1');
    await shot('servers');
  });

  it('finds jobs by id, name and argument text, and updates a list live', async () => {
    await page.goto(`${url}/`);
    await page.keyboard.press('/');
    await page.keyboard.type('grace@example');
    await page.keyboard.press('Enter');
    await page.waitForSelector('tbody tr');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.goto(`${url}/search?q=${seeded.ids.processing}`);
    expect(await page.locator('tbody tr').count()).toBe(1);
    await shot('search');
    await page.goto(`${url}/jobs/scheduled`);
    const before = await page.locator('tbody tr').count();
    await seeded.spool.schedule('emails.send', { to: 'live@example.com', subject: 'Live' }, { ...BY_NAME, delay: '3h' });
    await page.waitForSelector('text=live@example.com');
    expect(await page.locator('tbody tr').count()).toBe(before + 1);
  });

  it('reads well on a phone and in dark mode', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    const p = await phone.newPage();
    await p.goto(`${url}/`);
    await p.waitForSelector('[data-chart="history"] svg');
    await shot('phone-dark-overview', p);
    const wide = await p.evaluate(
      "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.sidebar, .table-wrap, .scroll-x')).map((e) => e.tagName + '.' + e.className).slice(0, 5)",
    );
    expect(wide).toEqual([]);
    await p.goto(`${url}/job/${seeded.ids.failed[1]}`);
    await shot('phone-dark-job', p);
    await noScriptRan(p);
    await phone.close();
    const dark = await browser.newContext({ viewport: { width: 1366, height: 860 }, colorScheme: 'dark' });
    const d = await dark.newPage();
    await d.goto(`${url}/jobs/failed`);
    await shot('dark-failed', d);
    await d.goto(`${url}/job/${seeded.ids.processing}`);
    await shot('dark-job', d);
    await dark.close();
  });

  it('broke no Content Security Policy rule and threw no script error on any page', () => {
    expect(problems).toEqual([]);
  });
});
