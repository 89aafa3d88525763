import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';

import { ConfigError } from '@spool/core';
import { spoolPlugin } from '@spool/fastify';

import { Gate, afterClose, openLiveStream, sqliteSpool, testJobs, visitDashboard, waitForState } from '../../../test/integrations/harness.js';

const cleanups: Array<() => void> = [];

/** Polls `check` until it holds; fails after a bounded deadline. */
async function waitUntil(check: () => boolean, deadlineMs = 15_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not true within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A Fastify app with the plugin, the dashboard at /admin/spool and routes that enqueue. */
async function bootApp() {
  const gate = new Gate();
  const jobs = testJobs(gate);
  const { spool, path, remove } = sqliteSpool([jobs.greet, jobs.report]);
  cleanups.push(remove);
  const app = Fastify();
  // A form parser of the app's own (as @fastify/formbody adds): the dashboard's forms must still reach it unread.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
  await app.register(spoolPlugin, { spool, server: { concurrency: 2 }, dashboard: { path: '/admin/spool' } });
  app.post<{ Body: { to: string } }>('/greetings', async (request, reply) => {
    const id = await app.spool.enqueue(jobs.greet, { to: request.body.to });
    return reply.code(202).send({ id });
  });
  app.post('/reports', async (_request, reply) => reply.code(202).send({ id: await app.spool.enqueue(jobs.report, { id: 7 }) }));
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, origin, spool, path, gate, jobs };
}

describe('the Fastify plugin', () => {
  it('runs a job enqueued by a route to succeeded, with fastify.spool', async () => {
    const { app, origin, spool } = await bootApp();
    try {
      const response = await fetch(`${origin}/greetings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ to: 'ann' }) });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      await waitForState(spool, id, 'succeeded');
      expect((await spool.getJob(id))?.result).toEqual({ greeted: 'ann' });
      // The app's close stops the server: a signal is the app's to handle (closeOnSignals).
      expect(app.spoolServer?.options.handleSignals).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('serves the dashboard and its API under the prefix, and its actions still need the CSRF token', async () => {
    const { app, origin, spool, jobs } = await bootApp();
    try {
      const ran = await spool.enqueue(jobs.greet, { to: 'bo' });
      await waitForState(spool, ran, 'succeeded');
      const later = await spool.schedule(jobs.greet, { to: 'cy' }, { delay: '1h' });
      await visitDashboard(spool, origin, '/admin/spool', later);
      // The app's own JSON parsing is untouched by the dashboard's context.
      expect((await fetch(`${origin}/greetings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"to":"di"}' })).status).toBe(202);
      expect((await fetch(`${origin}/admin/spoolish`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('closes gracefully: the running job finishes, live streams end, the server leaves storage', async () => {
    const { app, origin, spool, path, gate } = await bootApp();
    const { id } = (await (await fetch(`${origin}/reports`, { method: 'POST' })).json()) as { id: string };
    await gate.entered;
    const live = await openLiveStream(origin, '/admin/spool');
    const closing = app.close();
    await live.ended;
    gate.open();
    await closing;
    expect(app.spoolServer).toBeNull();
    expect(await afterClose(path, id)).toEqual({ state: 'succeeded', servers: 0 });
    await expect(spool.storage.monitoring.stats()).rejects.toThrow();
  });

  it('closes the app on SIGTERM, and leaves the signal to the others who listen for it', async () => {
    const { app, path, origin } = await bootApp();
    const { id } = (await (await fetch(`${origin}/greetings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"to":"fay"}' })).json()) as { id: string };
    // Another listener, as the test runner's process may have none: with nobody else, the signal is raised again.
    const other = (): void => undefined;
    process.on('SIGTERM', other);
    try {
      const closed = waitUntil(() => app.spoolServer === null);
      process.emit('SIGTERM', 'SIGTERM');
      await closed;
      expect(process.listeners('SIGTERM')).toEqual([other]);
      expect((await afterClose(path, id)).servers).toBe(0);
    } finally {
      process.off('SIGTERM', other);
    }
  });

  it('only enqueues with server: false, and mounts no dashboard unless asked', async () => {
    const gate = new Gate();
    const { spool, remove } = sqliteSpool([testJobs(gate).greet]);
    cleanups.push(remove);
    const listenersBefore = process.listenerCount('SIGTERM');
    const app = Fastify();
    await app.register(spoolPlugin, { spool, server: false, closeOnSignals: false });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(app.spoolServer).toBeNull();
      expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
      const id = await app.spool.enqueue('greetings.send', { to: 'ed' });
      expect((await spool.getJob(id))?.state).toBe('enqueued');
      expect((await fetch(`${origin}/admin/spool/`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('refuses options it does not know, saying what it expected', async () => {
    const { spool, remove } = sqliteSpool([]);
    cleanups.push(remove);
    const app = Fastify();
    const wrong = { spool, dashbord: { path: '/spool' } } as unknown as Parameters<typeof spoolPlugin>[1];
    await expect(app.register(spoolPlugin, wrong).ready()).rejects.toThrow(ConfigError);
    const slash = Fastify();
    await expect(slash.register(spoolPlugin, { spool, dashboard: { path: '/spool/' } }).ready()).rejects.toThrow(/no trailing slash/);
    await spool.close();
  });
});
