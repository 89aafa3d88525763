import { describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';

import { browserAvailable, useBrowserDashboard } from './browser.js';
import { BY_NAME } from './fixtures.js';

const available = browserAvailable();

describe.skipIf(!available)("editing a recurring job's schedule, in a real browser", () => {
  let storage: MemoryStorage;
  let spool: Spool;

  /** A deploy of the application: its code sets the recurring job's schedule at start. */
  async function deploy(cron: string): Promise<void> {
    const app = new Spool({ storage });
    await app.recurring.addOrUpdate('reports.nightly', 'reports.build', {}, { ...BY_NAME, cron, timezone: 'UTC' });
  }

  const b = useBrowserDashboard(async () => {
    storage = new MemoryStorage();
    spool = new Spool({ storage });
    await deploy('0 2 * * *');
    return { spool, options: { authorize: () => ({ operator: 'ada' }) } };
  }, { width: 1366, height: 900 });

  const detail = () => `${b.url}/recurring/detail?id=reports.nightly`;

  it("sets an operator's schedule that wins over the code's across a redeploy, shown with who set it", async () => {
    await b.page.goto(detail());
    expect(await b.page.getAttribute('[data-schedule-origin]', 'data-schedule-origin')).toBe('code');
    await b.page.fill('[data-schedule-form] input[name="cron"]', '*/15 * * * *');
    await b.page.fill('[data-schedule-form] input[name="timezone"]', 'Europe/Berlin');
    await Promise.all([b.page.waitForURL(/notice=/), b.page.click('[data-schedule-form] button[type="submit"]')]);
    expect(await b.page.textContent('[data-schedule-origin="operator"]')).toContain('Set by ada');
    expect(await b.page.inputValue('[data-schedule-form] input[name="cron"]')).toBe('*/15 * * * *');

    await deploy('0 3 * * *');
    await b.page.reload();
    expect(await b.page.inputValue('[data-schedule-form] input[name="cron"]')).toBe('*/15 * * * *');
    expect(await b.page.textContent('[data-schedule-origin="operator"]')).toContain('0 3 * * *');
    await b.page.goto(`${b.url}/recurring`);
    expect(await b.page.textContent('[data-override]')).toContain('set by ada');
  });

  it('says what is wrong with an expression it cannot read, and keeps the schedule', async () => {
    await b.page.goto(detail());
    await b.page.fill('[data-schedule-form] input[name="cron"]', 'every tuesday');
    await Promise.all([b.page.waitForURL(/notice=/), b.page.click('[data-schedule-form] button[type="submit"]')]);
    expect(decodeURIComponent(new URL(b.page.url()).searchParams.get('notice') ?? '')).toMatch(/^Schedule refused: /);
    expect((await spool.recurring.get('reports.nightly'))?.cron).toBe('*/15 * * * *');
  });

  it("resets to the code's latest schedule, and the audit log says who did each", async () => {
    await b.page.goto(detail());
    await Promise.all([b.page.waitForURL(/notice=/), b.page.click('button:has-text("Reset to code")')]);
    expect(await b.page.getAttribute('[data-schedule-origin]', 'data-schedule-origin')).toBe('code');
    expect(await spool.recurring.get('reports.nightly')).toMatchObject({ cron: '0 3 * * *', timezone: 'UTC' });
    await b.page.goto(`${b.url}/audit`);
    const rows = await b.page.locator('[data-audit] tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.querySelector('[data-actor]')?.textContent} ${tr.querySelector('[data-action]')?.textContent} ${tr.getAttribute('data-outcome')}`));
    expect(rows).toEqual(['ada recurring.reset-schedule done', 'ada recurring.schedule refused', 'ada recurring.schedule done']);
  });
});
