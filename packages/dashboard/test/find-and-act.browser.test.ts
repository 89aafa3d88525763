import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser } from './browser.js';
import type { Seeded } from './fixtures.js';
import { seed } from './fixtures.js';
import { csrfOf, listen, post } from './http-harness.js';

const available = browserAvailable();

describe.skipIf(!available)('finding jobs by name and creating jobs, in a real browser', () => {
  let seeded: Seeded;
  let browser: Browser;
  let page: Page;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    seeded = await seed();
    const server = await listen(createDashboard(seeded.spool, { basePath: '/spool', pollInterval: 300 }));
    url = `${server.url}/spool`;
    close = server.close;
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 860 } })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await seeded?.close();
  });

  const names = async (): Promise<string[]> => page.locator('tbody .job-name').allTextContents();

  it('filters a list by job name, offering the names it knows', async () => {
    await page.goto(`${url}/jobs/scheduled`);
    expect(new Set(await names())).toEqual(new Set(['emails.send', 'reports.build']));
    expect(await page.locator('#job-names option[value="emails.send"]').count()).toBe(1);
    await page.fill('[data-name-filter]', 'reports.build');
    await Promise.all([page.waitForURL(/name=reports\.build/), page.click('.name-filter button')]);
    expect(await names()).toEqual(['reports.build']);
    // The bulk actions act on the same filter.
    expect(await page.getAttribute('a:has-text("Delete all matching…")', 'href')).toContain('name=reports.build');
    await page.click('text=Any name');
    expect(new Set(await names())).toEqual(new Set(['emails.send', 'reports.build']));
  });

  it('sorts a list by job name and pages through it in that order', async () => {
    await page.goto(`${url}/jobs/scheduled`);
    const newest = await names();
    await Promise.all([page.waitForURL(/sort=name/), page.click('[data-sort="name"]')]);
    expect(await page.getAttribute('[data-sort="name"]', 'aria-current')).toBe('true');
    const sorted = await names();
    expect(sorted).toEqual([...newest].sort());
    expect(new Set(sorted).size).toBeGreaterThan(1);
    expect(await page.textContent('.pager')).toContain('by job name');
    // The name filter keeps the order, and the bulk actions act on the same jobs.
    await page.fill('[data-name-filter]', 'reports.build');
    await Promise.all([page.waitForURL(/name=reports\.build/), page.click('.name-filter button')]);
    expect(page.url()).toContain('sort=name');
    expect(await names()).toEqual(sorted.filter((n) => n === 'reports.build'));
    await Promise.all([page.waitForURL((u) => !u.search.includes('sort=')), page.click('[data-sort="newest"]')]);
    expect(await names()).toEqual(newest.filter((n) => n === 'reports.build'));
  });

  it('enqueues a job by name with arguments checked as JSON', async () => {
    await page.goto(`${url}/enqueue`);
    await page.fill('input[name="name"]', 'exports.csv');
    await page.fill('textarea[name="args"]', '{"table": "orders",');
    expect(await page.textContent('[data-args-check]')).toMatch(/^Not valid JSON yet/);
    await page.click('[data-enqueue-form] button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/spool/enqueue');
    await page.fill('textarea[name="args"]', '{"table": "orders", "since": "2026-01-01"}');
    expect(await page.textContent('[data-args-check]')).toBe('Valid JSON.');
    await page.fill('input[name="queue"]', 'exports');
    await page.fill('input[name="delay"]', '2h');
    // This dashboard's process does not define exports.csv: without its attempts and timeout the client refuses it.
    await page.click('[data-enqueue-form] button[type="submit"]');
    expect(await page.textContent('[data-enqueue-error]')).toContain('ERR_CONFIG');
    await page.fill('input[name="attempts"]', '3');
    await page.fill('input[name="timeout"]', '10m');
    await Promise.all([page.waitForURL(/\/spool\/job\/[0-9a-f-]{36}/), page.click('[data-enqueue-form] button[type="submit"]')]);
    expect(await page.textContent('[data-notice]')).toMatch(/^Enqueued exports\.csv as job/);
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    const job = await seeded.spool.getJob(id);
    expect(job).toMatchObject({ name: 'exports.csv', queue: 'exports', state: 'scheduled', args: { table: 'orders', since: '2026-01-01' } });
    expect(await seeded.spool.storage.jobGet({ id })).toMatchObject({ maxAttempts: 3, timeoutMs: 600_000 });
  });

  it('clones a job with edited arguments, leaving the original as it was', async () => {
    const original = seeded.ids.failed[0]!;
    await page.goto(`${url}/job/${original}`);
    await Promise.all([page.waitForURL(/\/spool\/enqueue\?from=/), page.click('[data-clone]')]);
    expect(await page.inputValue('input[name="name"]')).toBe('reports.build');
    expect(JSON.parse(await page.inputValue('textarea[name="args"]'))).toEqual({ report: 'q3-revenue' });
    await page.fill('textarea[name="args"]', JSON.stringify({ report: 'q3-revenue', draft: true }, null, 2));
    await Promise.all([page.waitForURL(/\/spool\/job\/[0-9a-f-]{36}/), page.click('[data-enqueue-form] button[type="submit"]')]);
    expect(await page.textContent('[data-notice]')).toContain(`Cloned job ${original} as`);
    const clone = await seeded.spool.getJob(new URL(page.url()).pathname.split('/').at(-1)!);
    expect(clone).toMatchObject({ name: 'reports.build', args: { report: 'q3-revenue', draft: true } });
    expect(clone!.id).not.toBe(original);
    expect((await seeded.spool.getJob(original))?.args).toEqual({ report: 'q3-revenue' });
  });

  it('answers arguments that are not JSON with the form and the reason, and creates nothing', async () => {
    const form = await (await fetch(`${url}/enqueue`)).text();
    const before = (await seeded.spool.stats()).states.enqueued;
    const response = await post(`${url}/actions/enqueue`, { _csrf: csrfOf(form), name: 'exports.csv', args: '{table: orders}' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('The arguments are not valid JSON');
    expect((await seeded.spool.stats()).states.enqueued).toBe(before);
  });
});
