import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDashboard } from '@spool/dashboard';

import { SCREENSHOTS, browserAvailable, launchBrowser } from './browser.js';
import type { Seeded } from './fixtures.js';
import { seed, BY_NAME } from './fixtures.js';
import { listen } from './http-harness.js';

const available = browserAvailable();

/** A recurring id long enough to wrap if the table lets it. */
const LONG_ID = 'billing.invoices-monthly-europe';

describe.skipIf(!available)('what the pages show, read in a real browser', () => {
  let seeded: Seeded;
  let browser: Browser;
  let page: Page;
  let url: string;
  let timed: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    seeded = await seed();
    await seeded.spool.recurring.addOrUpdate(LONG_ID, 'billing.run', { region: 'eu' }, { ...BY_NAME, cron: '0 6 1 * *', jitter: '90s' });
    timed = await seeded.spool.schedule('reports.build', { report: 'timed' }, { ...BY_NAME, delay: '2h', timeout: '20m' });
    const server = await listen(createDashboard(seeded.spool, { basePath: '/spool', pollInterval: 300 }));
    url = `${server.url}/spool`;
    close = server.close;
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 860 }, colorScheme: 'light' })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await seeded?.close();
  });

  it('keeps recurring ids on one line when the table has room', async () => {
    await page.goto(`${url}/recurring`);
    const lines = await page.evaluate((id) => {
      const cell = document.querySelector(`tr[id="r-${id}"] td .job-name`);
      if (!cell) return -1;
      const range = document.createRange();
      range.selectNodeContents(cell);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    }, LONG_ID);
    expect(lines).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}recurring-long-id.png`, fullPage: true });
  });

  it('shows durations and timeouts in human units', async () => {
    await page.goto(`${url}/job/${timed}`);
    const facts = (await page.textContent('.facts'))!;
    expect(facts).toContain('Timeout20m');
    expect(facts).not.toMatch(/\d{4,} ?ms/);
    await page.goto(`${url}/recurring`);
    const row = (await page.textContent(`[id="r-${LONG_ID}"]`))!;
    expect(row).toContain('jitter 1m 30s');
  });

  it('labels graph axes with whole numbers only', async () => {
    await page.goto(`${url}/`);
    await page.waitForSelector('[data-chart="history"] svg text.axis');
    const labels = await page.locator('[data-chart="history"] svg text.axis[text-anchor="end"]').allTextContents();
    expect(labels.length).toBeGreaterThan(1);
    // Whole numbers; thousands may read 1.5k.
    for (const label of labels) expect(label).toMatch(/^(\d+|\d+(\.\d)?[kM])$/);
  });

  it('opens a job from /jobs/<id> as well as /job/<id>', async () => {
    const response = await page.goto(`${url}/jobs/${seeded.ids.processing}`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(`/spool/job/${seeded.ids.processing}`);
    expect(await page.textContent('h1')).toContain('video.transcode');
  });

  it('folds the stack frames of Spool itself and unfolds them on request', async () => {
    await page.goto(`${url}/job/${seeded.ids.failed[0]}`);
    const stack = page.locator('.panel.danger .stack').first();
    await expect.poll(() => stack.isVisible()).toBe(true);
    const folded = stack.locator('details.internal-frames').first();
    expect(await folded.count()).toBe(1);
    expect(await folded.getAttribute('open')).toBeNull();
    expect(await folded.locator('summary').textContent()).toMatch(/^\d+ Spool frames?$/);
    expect(await stack.locator('.frame-internal', { hasText: 'job-runner' }).first().isVisible()).toBe(false);
    await folded.locator('summary').click();
    expect(await stack.locator('.frame-internal', { hasText: 'job-runner' }).first().isVisible()).toBe(true);
  });

  it('shows the whole error of every failed job on a phone, without sideways scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    await p.goto(`${url}/jobs/failed`);
    const errors = await p.evaluate(() =>
      [...document.querySelectorAll('.error-summary')]
        .filter((e) => e.getBoundingClientRect().width > 0)
        .map((e) => ({ right: e.getBoundingClientRect().right, width: document.documentElement.clientWidth, text: e.textContent })),
    );
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.right, e.text ?? '').toBeLessThanOrEqual(e.width);
    await phone.close();
  });
});
