import { networkInterfaces } from 'node:os';

import { afterEach, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { CONTENT_SECURITY_POLICY, createDashboard, html, isLoopback, raw } from '@spool/dashboard';

import { csrfOf, listen, post } from './http-harness.js';
import { BY_NAME } from './fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start(options: Parameters<typeof createDashboard>[1] = {}, host?: string) {
  const spool = new Spool({ storage: new MemoryStorage() });
  const server = await listen(createDashboard(spool, options), host);
  cleanups.push(async () => {
    await server.close();
    await spool.close();
  });
  return { spool, ...server };
}

/** An address of this machine that is not loopback, to make a request that is not local. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv4')?.address;

describe('dashboard security', () => {
  it('treats only loopback addresses as local', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', '', undefined]) expect(isLoopback(a)).toBe(false);
  });

  it.skipIf(!external)('refuses a request from another machine by default', async () => {
    const { port } = await start({}, '0.0.0.0');
    const refused = await fetch(`http://${external}:${port}/`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('only local requests');
    const local = await fetch(`http://127.0.0.1:${port}/`);
    expect(local.status).toBe(200);
  });

  it.skipIf(!external)('lets the authorize hook decide instead of the address', async () => {
    const { port } = await start({ authorize: (req) => req.headers['x-user'] === 'admin' }, '0.0.0.0');
    expect((await fetch(`http://${external}:${port}/`, { headers: { 'x-user': 'admin' } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(403);
  });

  it('sends a strict Content Security Policy and no inline script or style on every page', async () => {
    const { url } = await start();
    for (const path of ['/', '/jobs/failed', '/metrics', '/metrics?window=day&sort=runP99&dir=desc', '/audit', '/audit?before=5', '/recurring', '/servers', '/queues', '/search?q=x', '/job/0190-none', '/nowhere', '/enqueue']) {
      const response = await fetch(`${url}${path}`);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      const page = await response.text();
      expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(page).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it('serves its script and stylesheet with content hashes and answers revalidation with 304', async () => {
    const { url } = await start();
    const page = await (await fetch(`${url}/`)).text();
    const src = /<script src="([^"]+)"/.exec(page)![1]!;
    expect(src).toMatch(/^\/assets\/dashboard\.[\w-]{12}\.js$/);
    const first = await fetch(`${url}${src}`);
    expect(first.headers.get('content-type')).toContain('javascript');
    const etag = first.headers.get('etag')!;
    expect((await fetch(`${url}${src}`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
  });

  it('refuses a state change without a valid CSRF token or from another origin', async () => {
    const { url, spool } = await start();
    const id = await spool.enqueue('reports.build', {}, BY_NAME);
    const token = csrfOf(await (await fetch(`${url}/`)).text());
    expect((await post(`${url}/actions/jobs`, { action: 'delete', id })).status).toBe(403);
    expect((await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: `${token.split('.')[0]}.forged` })).status).toBe(403);
    expect((await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: token }, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: token }, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await spool.getJob(id))?.state).toBe('enqueued');
    const ok = await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: token, back: '/jobs/enqueued' }, { Origin: url });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(/^\/jobs\/enqueued\?notice=/);
    expect((await spool.getJob(id))?.state).toBe('deleted');
  });

  it('refuses a backfill without a valid CSRF token, from another origin, or on a read-only dashboard', async () => {
    const { url, spool } = await start();
    await spool.recurring.addOrUpdate('hourly', 'reports.build', {}, { ...BY_NAME, cron: '0 * * * *' });
    const range = { action: 'backfill', id: 'hourly', from: '2026-01-01T00:00:00', to: '2026-01-01T02:00:00' };
    const token = csrfOf(await (await fetch(`${url}/recurring/detail?id=hourly`)).text());
    expect((await post(`${url}/actions/recurring`, range)).status).toBe(403);
    expect((await post(`${url}/actions/recurring`, { ...range, _csrf: `${token.split('.')[0]}.forged` })).status).toBe(403);
    expect((await post(`${url}/actions/recurring`, { ...range, _csrf: token }, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await spool.stats()).states.enqueued).toBe(0);
    const ok = await post(`${url}/actions/recurring`, { ...range, _csrf: token, back: '/recurring/detail?id=hourly' }, { Origin: url });
    expect(ok.status).toBe(303);
    expect(decodeURIComponent(ok.headers.get('location')!.replace(/\+/g, ' '))).toBe(
      '/recurring/detail?id=hourly&notice=Backfilled hourly: 3 occurrences from 2026-01-01T00:00:00.000Z to 2026-01-01T02:00:00.000Z, 3 jobs enqueued, 0 already had a job.',
    );
    expect((await spool.stats()).states.enqueued).toBe(3);

    const readOnly = await start({ readOnly: true });
    await readOnly.spool.recurring.addOrUpdate('hourly', 'reports.build', {}, { ...BY_NAME, cron: '0 * * * *' });
    const page = await (await fetch(`${readOnly.url}/recurring/detail?id=hourly`)).text();
    expect(page).not.toContain('data-backfill');
    expect((await post(`${readOnly.url}/actions/recurring`, { ...range, _csrf: csrfOf(page) })).status).toBe(403);
    expect((await readOnly.spool.stats()).states.enqueued).toBe(0);
  });

  it('does not redirect to another site after an action', async () => {
    const { url, spool } = await start();
    const id = await spool.enqueue('reports.build', {}, BY_NAME);
    const token = csrfOf(await (await fetch(`${url}/`)).text());
    const response = await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: token, back: '//evil.example/x' });
    expect(response.headers.get('location')).toMatch(/^\/\?notice=/);
  });

  it('in read-only mode shows no actions and refuses every POST', async () => {
    const { url, spool } = await start({ readOnly: true });
    const id = await spool.enqueue('reports.build', {}, BY_NAME);
    const page = await (await fetch(`${url}/job/${id}`)).text();
    expect(page).toContain('Read-only');
    expect(page).not.toContain('method="post"');
    const list = await (await fetch(`${url}/jobs/enqueued`)).text();
    expect(list).not.toContain('method="post"');
    const response = await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: csrfOf(page) });
    expect(response.status).toBe(403);
    expect((await spool.getJob(id))?.state).toBe('enqueued');
    // Nor does it offer to create jobs: no enqueue page, no clone link, and the POST is refused.
    expect(page).not.toMatch(/\/enqueue["?]/);
    expect((await fetch(`${url}/enqueue?from=${id}`)).status).toBe(404);
    expect((await post(`${url}/actions/enqueue`, { name: 'reports.build', args: '{}', _csrf: csrfOf(page) })).status).toBe(403);
    expect((await spool.stats()).states.enqueued).toBe(1);
  });

  it('asks for confirmation before deleting a selection of several jobs', async () => {
    const { url, spool } = await start();
    const ids = await spool.enqueueMany('reports.build', [{}, {}, {}], BY_NAME);
    const token = csrfOf(await (await fetch(`${url}/`)).text());
    const asked = await post(`${url}/actions/jobs`, { action: 'delete', id: ids, _csrf: token });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('Delete 3 selected jobs?');
    for (const id of ids) expect((await spool.getJob(id))?.state).toBe('enqueued');
    expect((await post(`${url}/actions/bulk`, { action: 'delete', state: 'enqueued', _csrf: token })).status).toBe(400);
  });

  it('applies a bulk action to everything matching a filter, at most bulkLimit jobs per request', async () => {
    const { url, spool } = await start({ bulkLimit: 3 });
    await spool.enqueueMany('reports.build', [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }], { ...BY_NAME, queue: 'q1' });
    await spool.enqueue('reports.build', { n: 6 }, { ...BY_NAME, queue: 'q2' });
    const confirm = await (await fetch(`${url}/confirm?action=delete&state=enqueued&queue=q1`)).text();
    expect(confirm).toContain('Delete 5 jobs?');
    expect(confirm).toContain('at most 3 jobs');
    const token = csrfOf(confirm);
    const first = await post(`${url}/actions/bulk`, { action: 'delete', state: 'enqueued', queue: 'q1', confirmed: '1', _csrf: token, back: '/jobs/enqueued' });
    expect(new URL(first.headers.get('location')!, url).searchParams.get('notice')).toContain('3 jobs changed');
    expect((await spool.stats()).states.deleted).toBe(3);
    await post(`${url}/actions/bulk`, { action: 'delete', state: 'enqueued', queue: 'q1', confirmed: '1', _csrf: token });
    const stats = await spool.stats();
    expect(stats.states.deleted).toBe(5);
    expect(stats.states.enqueued).toBe(1);
  });

  it('escapes every interpolated value of its templates', () => {
    const hostile = `<script>alert(1)</script>"'\`&`;
    expect(html`<p title="${hostile}">${hostile}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;&amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;&amp;</p>',
    );
    expect(html`<ul>${['<a>', html`<li>${'<b>'}</li>`, raw('<hr>')]}</ul>`.value).toBe('<ul>&lt;a&gt;<li>&lt;b&gt;</li><hr></ul>');
  });
});
