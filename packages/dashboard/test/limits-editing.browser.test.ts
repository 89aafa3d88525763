import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser } from './browser.js';
import { listen } from './http-harness.js';

const available = browserAvailable();

describe.skipIf(!available)("setting a queue's limits from the dashboard, in a real browser", () => {
  let spool: Spool;
  let browser: Browser;
  let page: Page;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    spool = new Spool({ storage: new MemoryStorage() });
    await spool.enqueue('mail.send', {}, { queue: 'mail', attempts: 1, timeout: null });
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

  it('goes from the queue row to the form, refuses a rate it cannot read, then stores what is fixed and clears it', async () => {
    await page.goto(`${url}/queues`);
    await Promise.all([page.waitForURL(/limits\/edit/), page.click('[data-limits-link="queue:mail"]')]);
    expect(await page.inputValue('[data-limits-form] input[name="scope"]')).toBe('queue:mail');
    await page.fill('[data-limits-form] input[name="concurrency"]', '5');
    await page.fill('[data-limits-form] input[name="rate"]', 'fifty a second');
    await page.click('[data-limits-form] button[type="submit"]');
    expect(await page.textContent('[data-limits-error]')).toContain('Rate: expected <count>/<window>');
    expect(await page.inputValue('[data-limits-form] input[name="concurrency"]')).toBe('5');
    expect(await spool.limits.get({ queue: 'mail' })).toBeNull();

    await page.fill('[data-limits-form] input[name="rate"]', '50/1s');
    await page.fill('[data-limits-form] input[name="maxSize"]', '100');
    await Promise.all([page.waitForURL(/queues\?notice=/), page.click('[data-limits-form] button[type="submit"]')]);
    expect(await page.textContent('.limits')).toContain('at most 5 at once, 50 per 1s; at most 100 enqueued');
    expect(await page.textContent('.limits')).toContain('operator ada');
    expect(await page.textContent('[data-bound="mail"]')).toContain('of 100');

    await Promise.all([page.waitForURL(/notice=/), page.click('.limits button:has-text("Clear")')]);
    expect(await page.textContent('.limits')).toContain('No queue or job name has limits.');
    expect(await spool.limits.get({ queue: 'mail' })).toBeNull();
  });
});
