import type { AddressInfo } from 'node:net';

import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';

import { ConfigError } from '@spool/core';
import { spoolExpress, spoolOf } from '@spool/express';

import { Gate, afterClose, openLiveStream, sqliteSpool, testJobs, visitDashboard, waitForState } from '../../../test/integrations/harness.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** An Express app with the router (body parsers before it, as apps have them), listening on a free port. */
async function bootApp(mountAt?: string) {
  const gate = new Gate();
  const jobs = testJobs(gate);
  const { spool, path, remove } = sqliteSpool([jobs.greet, jobs.report]);
  cleanups.push(remove);
  const spooled = await spoolExpress({ spool, server: { concurrency: 2 }, dashboard: { path: '/admin/spool' } });
  const app = express();
  app.use(express.json(), express.urlencoded({ extended: false }));
  if (mountAt) app.use(mountAt, spooled.router);
  else app.use(spooled.router);
  app.post('/greetings', async (req, res) => {
    const id = await spoolOf(req).enqueue(jobs.greet, { to: (req.body as { to: string }).to });
    res.status(202).json({ id });
  });
  app.post('/reports', async (_req, res) => {
    res.status(202).json({ id: await res.locals.spool.enqueue(jobs.report, { id: 7 }) });
  });
  const http = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http.once('listening', () => resolve()));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { spooled, http, origin, spool, path, gate, jobs };
}

describe('the Express router', () => {
  it('runs a job enqueued by a route to succeeded, with the client in req.app.locals', async () => {
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
    } finally {
      await spooled.close(http);
    }
  });

  it('serves the dashboard under the router’s own mount path too', async () => {
    const { spooled, http, origin, spool, jobs } = await bootApp('/ops');
    try {
      const ran = await spool.enqueue(jobs.greet, { to: 'dee' });
      await waitForState(spool, ran, 'succeeded');
      await visitDashboard(spool, origin, '/ops/admin/spool', await spool.schedule(jobs.greet, { to: 'eve' }, { delay: '1h' }));
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
    expect(spooled.close()).toBe(closing);
    expect(await afterClose(path, id)).toEqual({ state: 'succeeded', servers: 0 });
  });

  it('closes on SIGTERM once asked to, and leaves the signal to the others who listen for it', async () => {
    const { spooled, http, path, origin } = await bootApp();
    const { id } = (await (await fetch(`${origin}/greetings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"to":"fay"}' })).json()) as { id: string };
    const before = process.listeners('SIGTERM');
    // Another listener, as the test runner's process may have none: with nobody else, the signal is raised again.
    const other = (): void => undefined;
    process.on('SIGTERM', other);
    try {
      spooled.closeOnSignals(http);
      const closed = new Promise<void>((resolve) => http.once('close', () => resolve()));
      process.emit('SIGTERM', 'SIGTERM');
      await closed;
      await spooled.close();
      expect(process.listeners('SIGTERM')).toEqual([...before, other]);
      expect(http.listening).toBe(false);
      expect((await afterClose(path, id)).servers).toBe(0);
    } finally {
      process.off('SIGTERM', other);
    }
  });

  it('says what to do when a route asks for the client without the router', () => {
    expect(() => spoolOf({ app: { locals: {} } })).toThrow(ConfigError);
  });
});
