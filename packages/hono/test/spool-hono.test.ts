import type { AddressInfo } from 'node:net';

import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';

import type { SpoolEnv } from '@spool/hono';
import { spoolHono } from '@spool/hono';

import { Gate, afterClose, openLiveStream, sqliteSpool, testJobs, visitDashboard, waitForState } from '../../../test/integrations/harness.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A Hono app on @hono/node-server with the middleware, listening on a free port. */
async function bootApp() {
  const gate = new Gate();
  const jobs = testJobs(gate);
  const { spool, path, remove } = sqliteSpool([jobs.greet, jobs.report]);
  cleanups.push(remove);
  const spooled = await spoolHono({ spool, server: { concurrency: 2 }, dashboard: { path: '/admin/spool' } });
  const app = new Hono<SpoolEnv>()
    .use(spooled.middleware)
    .post('/greetings', async (c) => {
      const { to } = await c.req.json<{ to: string }>();
      return c.json({ id: await c.var.spool.enqueue(jobs.greet, { to }) }, 202);
    })
    .post('/reports', async (c) => c.json({ id: await c.var.spool.enqueue(jobs.report, { id: 7 }) }, 202))
    .get('/', (c) => c.text('home'));
  const http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => http.once('listening', () => resolve()));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { spooled, http, origin, spool, path, gate, jobs };
}

describe('the Hono middleware', () => {
  it('runs a job enqueued by a route to succeeded, with c.var.spool', async () => {
    const { spooled, http, origin, spool } = await bootApp();
    try {
      const response = await fetch(`${origin}/greetings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ to: 'ann' }) });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      await waitForState(spool, id, 'succeeded');
      expect((await spool.getJob(id))?.result).toEqual({ greeted: 'ann' });
      expect(spooled.server?.options.handleSignals).toBe(false);
    } finally {
      await spooled.close(http);
    }
  });

  it('serves the dashboard and its API under the path, and its actions still need the CSRF token', async () => {
    const { spooled, http, origin, spool, jobs } = await bootApp();
    try {
      const ran = await spool.enqueue(jobs.greet, { to: 'bo' });
      await waitForState(spool, ran, 'succeeded');
      await visitDashboard(spool, origin, '/admin/spool', await spool.schedule(jobs.greet, { to: 'cy' }, { delay: '1h' }));
      expect(await (await fetch(`${origin}/`)).text()).toBe('home');
      expect((await fetch(`${origin}/admin/spoolish`)).status).toBe(404);
    } finally {
      await spooled.close(http);
    }
  });

  it('closes gracefully: live streams end, HTTP stops, the running job finishes, the server leaves storage', async () => {
    const { spooled, http, origin, path, gate } = await bootApp();
    const { id } = (await (await fetch(`${origin}/reports`, { method: 'POST' })).json()) as { id: string };
    await gate.entered;
    const live = await openLiveStream(origin, '/admin/spool');
    const closing = spooled.close(http);
    await live.ended;
    gate.open();
    await closing;
    expect(http.listening).toBe(false);
    expect(spooled.server).toBeNull();
    expect(await afterClose(path, id)).toEqual({ state: 'succeeded', servers: 0 });
  });

  it('refuses to serve the dashboard off Node.js, saying why', async () => {
    const { spool, remove } = sqliteSpool([]);
    cleanups.push(remove);
    const spooled = await spoolHono({ spool, server: false, dashboard: { path: '/admin/spool' } });
    const app = new Hono<SpoolEnv>().use(spooled.middleware).get('/', (c) => c.text(c.var.spool === spool ? 'same' : 'other'));
    app.onError((error, c) => c.text(String((error as { code?: string }).code), 500));
    try {
      expect(await (await app.request('/')).text()).toBe('same');
      const offNode = await app.request('/admin/spool/');
      expect([offNode.status, await offNode.text()]).toEqual([500, 'ERR_CONFIG']);
    } finally {
      await spooled.close();
    }
  });
});
