import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser } from './browser.js';
import { BY_NAME } from './fixtures.js';

const available = browserAvailable();

// DNS rebinding: a page of attacker.example, whose name now resolves to this machine, reads and
// changes the dashboard as if it were its own origin. Chromium's resolver rules stand in for the
// attacker's DNS server; the attacker's page is served on the dashboard's port, as it would be once
// the name points here.
const ATTACK_PAGE = `<!doctype html><script>
window.__result = (async () => {
  const id = new URLSearchParams(location.search).get('id');
  const read = await fetch('/spool/api/job/' + id);
  const page = await fetch('/spool/');
  const token = (/name="spool-csrf" content="([^"]+)"/.exec(await page.text()) || [])[1] || '';
  const body = new URLSearchParams({ action: 'delete', id, _csrf: token });
  const write = await fetch('/spool/actions/jobs', { method: 'POST', body, redirect: 'manual' });
  return { read: read.status, readBody: await read.text(), write: write.status };
})();
</script>`;

describe.skipIf(!available)('the dashboard under DNS rebinding, in a real browser', () => {
  let spool: Spool;
  let browser: Browser;
  let port: number;
  let close: () => Promise<void>;

  beforeAll(async () => {
    spool = new Spool({ storage: new MemoryStorage() });
    const dashboard = createDashboard(spool, { basePath: '/spool' });
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/attack')) {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(ATTACK_PAGE);
      } else dashboard(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    browser = await launchBrowser(['--host-resolver-rules=MAP attacker.example 127.0.0.1']);
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await spool?.close();
  });

  it('neither shows nor changes a job for a page of another name that resolves to this machine', async () => {
    const id = await spool.enqueue('reports.build', { secret: 'payroll-2026' }, BY_NAME);
    const page = await browser.newPage();
    await page.goto(`http://attacker.example:${port}/attack?id=${id}`);
    const result = (await page.evaluate('window.__result')) as { read: number; readBody: string; write: number };
    expect(result.read).toBe(403);
    expect(result.readBody).not.toContain('payroll');
    expect(result.write).toBe(403);
    expect((await spool.getJob(id))?.state).toBe('enqueued');
    // The same dashboard still serves its own name.
    await page.goto(`http://127.0.0.1:${port}/spool/job/${id}`);
    expect(await page.textContent('body')).toContain('payroll-2026');
    await page.close();
  });
});
