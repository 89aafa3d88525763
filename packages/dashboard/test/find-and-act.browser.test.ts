import { describe, expect, it } from 'vitest';

import { browserAvailable, useBrowserDashboard } from './browser.js';
import type { Seeded } from './fixtures.js';
import { seed } from './fixtures.js';
import { csrfOf, post } from './http-harness.js';

const available = browserAvailable();

describe.skipIf(!available)('finding jobs by name and creating jobs, in a real browser', () => {
  let seeded: Seeded;

  const b = useBrowserDashboard(async () => {
    seeded = await seed();
    return { spool: seeded.spool, options: { pollInterval: 300 }, close: () => seeded.close() };
  }, { width: 1366, height: 860 });

  const names = async (): Promise<string[]> => b.page.locator('tbody .job-name').allTextContents();

  it('filters a list by job name, offering the names it knows', async () => {
    await b.page.goto(`${b.url}/jobs/scheduled`);
    expect(new Set(await names())).toEqual(new Set(['emails.send', 'reports.build']));
    expect(await b.page.locator('#job-names option[value="emails.send"]').count()).toBe(1);
    await b.page.fill('[data-name-filter]', 'reports.build');
    await Promise.all([b.page.waitForURL(/name=reports\.build/), b.page.click('.name-filter button')]);
    expect(await names()).toEqual(['reports.build']);
    // The bulk actions act on the same filter.
    expect(await b.page.getAttribute('a:has-text("Delete all matching…")', 'href')).toContain('name=reports.build');
    await b.page.click('text=Any name');
    expect(new Set(await names())).toEqual(new Set(['emails.send', 'reports.build']));
  });

  it('sorts a list by job name and pages through it in that order', async () => {
    await b.page.goto(`${b.url}/jobs/scheduled`);
    const newest = await names();
    await Promise.all([b.page.waitForURL(/sort=name/), b.page.click('[data-sort="name"]')]);
    expect(await b.page.getAttribute('[data-sort="name"]', 'aria-current')).toBe('true');
    const sorted = await names();
    expect(sorted).toEqual([...newest].sort());
    expect(new Set(sorted).size).toBeGreaterThan(1);
    expect(await b.page.textContent('.pager')).toContain('by job name');
    // The name filter keeps the order, and the bulk actions act on the same jobs.
    await b.page.fill('[data-name-filter]', 'reports.build');
    await Promise.all([b.page.waitForURL(/name=reports\.build/), b.page.click('.name-filter button')]);
    expect(b.page.url()).toContain('sort=name');
    expect(await names()).toEqual(sorted.filter((n) => n === 'reports.build'));
    await Promise.all([b.page.waitForURL((u) => !u.search.includes('sort=')), b.page.click('[data-sort="newest"]')]);
    expect(await names()).toEqual(newest.filter((n) => n === 'reports.build'));
  });

  it('enqueues a job by name with arguments checked as JSON', async () => {
    await b.page.goto(`${b.url}/enqueue`);
    await b.page.fill('input[name="name"]', 'exports.csv');
    await b.page.fill('textarea[name="args"]', '{"table": "orders",');
    expect(await b.page.textContent('[data-args-check]')).toMatch(/^Not valid JSON yet/);
    await b.page.click('[data-enqueue-form] button[type="submit"]');
    expect(new URL(b.page.url()).pathname).toBe('/spool/enqueue');
    await b.page.fill('textarea[name="args"]', '{"table": "orders", "since": "2026-01-01"}');
    expect(await b.page.textContent('[data-args-check]')).toBe('Valid JSON.');
    await b.page.fill('input[name="queue"]', 'exports');
    await b.page.fill('input[name="delay"]', '2h');
    // This dashboard's process does not define exports.csv: without its attempts and timeout the client refuses it.
    await b.page.click('[data-enqueue-form] button[type="submit"]');
    expect(await b.page.textContent('[data-enqueue-error]')).toContain('ERR_CONFIG');
    await b.page.fill('input[name="attempts"]', '3');
    await b.page.fill('input[name="timeout"]', '10m');
    await Promise.all([b.page.waitForURL(/\/spool\/job\/[0-9a-f-]{36}/), b.page.click('[data-enqueue-form] button[type="submit"]')]);
    expect(await b.page.textContent('[data-notice]')).toMatch(/^Enqueued exports\.csv as job/);
    const id = new URL(b.page.url()).pathname.split('/').at(-1)!;
    const job = await seeded.spool.getJob(id);
    expect(job).toMatchObject({ name: 'exports.csv', queue: 'exports', state: 'scheduled', args: { table: 'orders', since: '2026-01-01' } });
    expect(await seeded.spool.storage.jobGet({ id })).toMatchObject({ maxAttempts: 3, timeoutMs: 600_000 });
  });

  it('clones a job with edited arguments, leaving the original as it was', async () => {
    const original = seeded.ids.failed[0]!;
    await b.page.goto(`${b.url}/job/${original}`);
    await Promise.all([b.page.waitForURL(/\/spool\/enqueue\?from=/), b.page.click('[data-clone]')]);
    expect(await b.page.inputValue('input[name="name"]')).toBe('reports.build');
    expect(JSON.parse(await b.page.inputValue('textarea[name="args"]'))).toEqual({ report: 'q3-revenue' });
    await b.page.fill('textarea[name="args"]', JSON.stringify({ report: 'q3-revenue', draft: true }, null, 2));
    await Promise.all([b.page.waitForURL(/\/spool\/job\/[0-9a-f-]{36}/), b.page.click('[data-enqueue-form] button[type="submit"]')]);
    expect(await b.page.textContent('[data-notice]')).toContain(`Cloned job ${original} as`);
    const clone = await seeded.spool.getJob(new URL(b.page.url()).pathname.split('/').at(-1)!);
    expect(clone).toMatchObject({ name: 'reports.build', args: { report: 'q3-revenue', draft: true } });
    expect(clone!.id).not.toBe(original);
    expect((await seeded.spool.getJob(original))?.args).toEqual({ report: 'q3-revenue' });
  });

  it('answers arguments that are not JSON with the form and the reason, and creates nothing', async () => {
    const form = await (await fetch(`${b.url}/enqueue`)).text();
    const before = (await seeded.spool.stats()).states.enqueued;
    const response = await post(`${b.url}/actions/enqueue`, { _csrf: csrfOf(form), name: 'exports.csv', args: '{table: orders}' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('The arguments are not valid JSON');
    expect((await seeded.spool.stats()).states.enqueued).toBe(before);
  });
});
