import { describe, expect, it } from 'vitest';

import { createDashboard } from '@spool/dashboard';

import { browserAvailable, useBrowserDashboard } from './browser.js';
import type { Seeded } from './fixtures.js';
import { seed } from './fixtures.js';
import { csrfOf, listen, post } from './http-harness.js';

const available = browserAvailable();
// A job name no server of the seed runs, in a queue none serves: the jobs wait until the test acts.
const BY_NAME = { queue: 'exports', attempts: 3, timeout: null } as const;

describe.skipIf(!available)("changing a waiting job from its page, in a real browser", () => {
  let seeded: Seeded;

  const b = useBrowserDashboard(async () => {
    seeded = await seed();
    return { spool: seeded.spool, options: { pollInterval: 300 }, close: () => seeded.close() };
  }, { width: 1366, height: 900 });

  const submit = (button = '[data-change-form] button[value="change"]') => Promise.all([b.page.waitForURL(/notice=/), b.page.click(button)]);
  const lastAudit = async () => (await seeded.spool.storage.auditList({ limit: 1 }))[0];

  it('changes the due time, priority, queue and arguments of a scheduled job, checking the arguments as JSON', async () => {
    const id = await seeded.spool.schedule('exports.csv', { table: 'orders' }, { ...BY_NAME, delay: '2h' });
    await b.page.goto(`${b.url}/job/${id}`);
    await b.page.fill('[data-change-form] input[name="runAt"]', '2031-03-04T05:06:07');
    await b.page.fill('[data-change-form] input[name="priority"]', '7');
    await b.page.fill('[data-change-form] input[name="queue"]', 'exports-urgent');
    await b.page.fill('[data-change-form] textarea[name="args"]', '{"table": "orders",');
    expect(await b.page.textContent('[data-change-form] [data-args-check]')).toMatch(/^Not valid JSON yet/);
    // The browser holds the form back; the server, asked directly, refuses and says why.
    await b.page.click('[data-change-form] button[value="change"]');
    expect(new URL(b.page.url()).search).toBe('');
    const direct = await post(`${b.url}/actions/change`, { _csrf: csrfOf(await b.page.content()), action: 'change', id, args: '{table: orders}', back: `/spool/job/${id}` });
    expect(new URL(direct.headers.get('location') ?? '', b.url).searchParams.get('notice')).toMatch(/^Not changed: the arguments are not valid JSON/);
    expect(await seeded.spool.getJob(id)).toMatchObject({ priority: 0, queue: 'exports', args: { table: 'orders' } });
    expect(await lastAudit()).toMatchObject({ action: 'jobs.change', targets: [id], outcome: 'refused' });

    await b.page.fill('[data-change-form] textarea[name="args"]', '{"table": "orders", "since": "2026-01-01"}');
    expect(await b.page.textContent('[data-change-form] [data-args-check]')).toBe('Valid JSON.');
    await submit();
    expect(await b.page.textContent('[data-notice]')).toBe(`Changed due time, priority, queue, arguments of job ${id}.`);
    const job = await seeded.spool.getJob(id);
    expect(job).toMatchObject({ state: 'scheduled', priority: 7, queue: 'exports-urgent', args: { table: 'orders', since: '2026-01-01' }, runAt: new Date('2031-03-04T05:06:07Z') });
    // The history says what changed, and the audit log who did it.
    expect(await b.page.textContent('.timeline .tl-item:last-child .tl-reason')).toContain('priority 0 → 7');
    expect(await lastAudit()).toMatchObject({ action: 'jobs.change', targets: [id], outcome: 'done' });
  });

  it('runs a scheduled job now', async () => {
    const id = await seeded.spool.schedule('exports.csv', { table: 'later' }, { ...BY_NAME, delay: '1d', ttl: '10m', onExpire: 'fail' });
    await b.page.goto(`${b.url}/job/${id}`);
    // A job with a time-to-live shows by when it must start.
    const job = await seeded.spool.getJob(id);
    expect(await b.page.getAttribute('[data-start-by] time', 'datetime')).toBe(new Date(job!.runAt!.getTime() + 600_000).toISOString());
    await submit('[data-run-now]');
    expect(await b.page.textContent('[data-notice]')).toBe(`Job ${id} enqueued to run now.`);
    expect((await seeded.spool.getJob(id))?.state).toBe('enqueued');
    // An enqueued job has no due time to change, and no "Run now".
    expect(await b.page.locator('[data-change-form] input[name="runAt"]').count()).toBe(0);
    expect(await b.page.locator('[data-run-now]').count()).toBe(0);
    expect(await lastAudit()).toMatchObject({ action: 'jobs.run-now', targets: [id], outcome: 'done' });
  });

  it('refuses a change when a server started the job after the page was drawn, and says so', async () => {
    const id = await seeded.spool.enqueue('exports.csv', { table: 'customers' }, BY_NAME);
    await b.page.goto(`${b.url}/job/${id}`);
    await b.page.fill('[data-change-form] input[name="priority"]', '9');
    // A server claims the job while the operator edits the form.
    expect(await seeded.spool.storage.jobClaim({ id, expected: ['enqueued'], serverId: 'web-2', leaseMs: 60_000 })).not.toBeNull();
    await submit();
    expect(await b.page.textContent('[data-notice]')).toBe(
      `Not changed: Job ${id} is processing, so it can no longer be changed: only a scheduled, enqueued or awaiting job can. Enqueue a new job instead.`,
    );
    expect(await seeded.spool.getJob(id)).toMatchObject({ state: 'processing', priority: 0 });
    expect(await lastAudit()).toMatchObject({ action: 'jobs.change', targets: [id], outcome: 'refused' });
    // The page of a job that runs offers no change.
    expect(await b.page.locator('[data-change-form]').count()).toBe(0);
  });

  it('refuses a change without the CSRF token, and on a read-only dashboard', async () => {
    const id = await seeded.spool.enqueue('exports.csv', { table: 'invoices' }, BY_NAME);
    const forged = await post(`${b.url}/actions/change`, { action: 'change', id, priority: '5' });
    expect(forged.status).toBe(403);
    const readOnly = await listen(createDashboard(seeded.spool, { basePath: '/spool', readOnly: true }));
    try {
      const form = await (await fetch(`${readOnly.url}/spool/job/${id}`)).text();
      expect(form).not.toContain('data-change-form');
      const refused = await post(`${readOnly.url}/spool/actions/change`, { _csrf: 'any', action: 'change', id, priority: '5' });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('read-only');
    } finally {
      await readOnly.close();
    }
    expect((await seeded.spool.getJob(id))?.priority).toBe(0);
  });
});
