import { describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';

import { browserAvailable, useBrowserDashboard } from './browser.js';

const available = browserAvailable();

describe.skipIf(!available)("setting a queue's limits from the dashboard, in a real browser", () => {
  let spool: Spool;
  const b = useBrowserDashboard(async () => {
    spool = new Spool({ storage: new MemoryStorage() });
    await spool.enqueue('mail.send', {}, { queue: 'mail', attempts: 1, timeout: null });
    return { spool, options: { authorize: () => ({ operator: 'ada' }) } };
  });

  it('goes from the queue row to the form, refuses a rate it cannot read, then stores what is fixed and clears it', async () => {
    const { page, url } = b;
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
