import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser } from './browser.js';
import { BY_NAME } from './fixtures.js';
import { listen } from './http-harness.js';

const available = browserAvailable();

describe.skipIf(!available)("editing a recurring job's schedule, in a real browser", () => {
  let storage: MemoryStorage;
  let spool: Spool;
  let browser: Browser;
  let page: Page;
  let url: string;
  let close: () => Promise<void>;

  /** A deploy of the application: its code sets the recurring job's schedule at start. */
  async function deploy(cron: string): Promise<void> {
    const app = new Spool({ storage });
    await app.recurring.addOrUpdate('reports.nightly', 'reports.build', {}, { ...BY_NAME, cron, timezone: 'UTC' });
  }

  beforeAll(async () => {
    storage = new MemoryStorage();
    spool = new Spool({ storage });
    await deploy('0 2 * * *');
    const server = await listen(createDashboard(spool, { basePath: '/spool', authorize: () => ({ operator: 'ada' }) }));
    url = `${server.url}/spool`;
    close = server.close;
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await spool?.close();
  });

  const detail = () => `${url}/recurring/detail?id=reports.nightly`;

  it("sets an operator's schedule that wins over the code's across a redeploy, shown with who set it", async () => {
    await page.goto(detail());
    expect(await page.getAttribute('[data-schedule-origin]', 'data-schedule-origin')).toBe('code');
    await page.fill('[data-schedule-form] input[name="cron"]', '*/15 * * * *');
    await page.fill('[data-schedule-form] input[name="timezone"]', 'Europe/Berlin');
    await Promise.all([page.waitForURL(/notice=/), page.click('[data-schedule-form] button[type="submit"]')]);
    expect(await page.textContent('[data-schedule-origin="operator"]')).toContain('Set by ada');
    expect(await page.inputValue('[data-schedule-form] input[name="cron"]')).toBe('*/15 * * * *');

    await deploy('0 3 * * *');
    await page.reload();
    expect(await page.inputValue('[data-schedule-form] input[name="cron"]')).toBe('*/15 * * * *');
    expect(await page.textContent('[data-schedule-origin="operator"]')).toContain('0 3 * * *');
    await page.goto(`${url}/recurring`);
    expect(await page.textContent('[data-override]')).toContain('set by ada');
  });

  it('says what is wrong with an expression it cannot read, and keeps the schedule', async () => {
    await page.goto(detail());
    await page.fill('[data-schedule-form] input[name="cron"]', 'every tuesday');
    await Promise.all([page.waitForURL(/notice=/), page.click('[data-schedule-form] button[type="submit"]')]);
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('notice') ?? '')).toMatch(/^Schedule refused: /);
    expect((await spool.recurring.get('reports.nightly'))?.cron).toBe('*/15 * * * *');
  });

  it("resets to the code's latest schedule, and the audit log says who did each", async () => {
    await page.goto(detail());
    await Promise.all([page.waitForURL(/notice=/), page.click('button:has-text("Reset to code")')]);
    expect(await page.getAttribute('[data-schedule-origin]', 'data-schedule-origin')).toBe('code');
    expect(await spool.recurring.get('reports.nightly')).toMatchObject({ cron: '0 3 * * *', timezone: 'UTC' });
    await page.goto(`${url}/audit`);
    const rows = await page.locator('[data-audit] tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.querySelector('[data-actor]')?.textContent} ${tr.querySelector('[data-action]')?.textContent} ${tr.getAttribute('data-outcome')}`));
    expect(rows).toEqual(['ada recurring.reset-schedule done', 'ada recurring.schedule refused', 'ada recurring.schedule done']);
  });
});
