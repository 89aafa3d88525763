import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser } from './browser.js';
import { BY_NAME } from './fixtures.js';
import { listen } from './http-harness.js';

const available = browserAvailable();

describe.skipIf(!available)('the audit log, in a real browser', () => {
  let spool: Spool;
  let browser: Browser;
  let page: Page;
  const servers: Array<{ url: string; close(): Promise<void> }> = [];

  beforeAll(async () => {
    spool = new Spool({ storage: new MemoryStorage() });
    await spool.enqueueMany('emails.send', [{ to: 'a' }, { to: 'b' }], BY_NAME);
    // One dashboard that knows nothing of its users, one whose authorize names them.
    servers.push(await listen(createDashboard(spool, { basePath: '/spool' })));
    servers.push(await listen(createDashboard(spool, { basePath: '/spool', authorize: (req) => ({ operator: req.headers['x-user'] === 'ada' ? 'ada' : 'someone' }) })));
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 860 }, extraHTTPHeaders: { 'X-User': 'ada' } })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
    await spool?.close();
  });

  const entries = () =>
    page.locator('[data-audit] tbody tr').evaluateAll((rows) =>
      rows.map((row) => ({
        actor: row.querySelector('[data-actor]')?.textContent,
        action: row.querySelector('[data-action]')?.textContent,
        outcome: row.getAttribute('data-outcome'),
        text: row.textContent?.replace(/\s+/g, ' ').trim(),
      })),
    );

  it('records an action with the remote address when nothing names the operator, and shows it newest first', async () => {
    const url = `${servers[0]!.url}/spool`;
    await page.goto(`${url}/audit`);
    expect(await page.textContent('h3')).toBe('No action yet');
    await page.goto(`${url}/queues`);
    await Promise.all([page.waitForURL(/notice=/), page.click('form[action$="/actions/queues"] button:has-text("Pause")')]);
    await page.click('nav a:has-text("Audit log")');
    const [latest] = await entries();
    expect(latest).toMatchObject({ actor: '127.0.0.1', action: 'queue.pause', outcome: 'done' });
    expect(latest!.text).toContain('Paused queue default.');
  });

  it('names the operator authorize gave, and the jobs acted on', async () => {
    const url = `${servers[1]!.url}/spool`;
    await page.goto(`${url}/jobs/enqueued`);
    await page.check('tbody input[type="checkbox"] >> nth=0');
    await Promise.all([page.waitForURL(/notice=/), page.click('button[value="delete"]')]);
    await page.goto(`${url}/audit`);
    const list = await entries();
    expect(list.map((e) => [e.actor, e.action])).toEqual([
      ['ada', 'jobs.delete'],
      ['127.0.0.1', 'queue.pause'],
    ]);
    const deleted = await page.locator('[data-audit] tbody tr >> nth=0 >> a.mono').getAttribute('href');
    expect(deleted).toMatch(/\/spool\/job\/[0-9a-f-]{36}$/);
    expect((await spool.getJob(deleted!.split('/').at(-1)!))?.state).toBe('deleted');
  });
});
