import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { HttpBindings } from '@hono/node-server';
import { serve } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool } from '@spool/core';
import { createDashboard, serveDashboard } from '@spool/dashboard';
import { SqliteStorage } from '@spool/sqlite';

import { csrfOf, post } from './http-harness.js';
import { BY_NAME } from './fixtures.js';

let dir: string;
let spool: Spool;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spool-dashboard-'));
  spool = new Spool({ storage: new SqliteStorage({ path: join(dir, 'spool.db') }) });
  await spool.init();
});

afterAll(async () => {
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Visits the mounted dashboard like a user: a page, its assets, and an action with its CSRF token. */
async function exercise(origin: string, base: string): Promise<void> {
  const id = await spool.enqueue('reports.build', { mounted: base }, BY_NAME);
  const home = await fetch(`${origin}${base}/`);
  expect(home.status).toBe(200);
  const page = await home.text();
  expect(page).toContain(`href="${base}/jobs/enqueued"`);
  const script = /<script src="([^"]+)"/.exec(page)![1]!;
  expect(script.startsWith(`${base}/assets/`)).toBe(true);
  expect((await fetch(`${origin}${script}`)).status).toBe(200);
  const job = await fetch(`${origin}${base}/job/${id}`);
  expect(await job.text()).toContain(base);
  const api = (await (await fetch(`${origin}${base}/api/stats`)).json()) as { states: { enqueued: number } };
  expect(api.states.enqueued).toBeGreaterThan(0);
  const done = await post(`${origin}${base}/actions/jobs`, { action: 'delete', id, _csrf: csrfOf(page), back: `${base}/jobs/enqueued` }, { Origin: origin });
  expect(done.status).toBe(303);
  expect(done.headers.get('location')!.startsWith(`${base}/jobs/enqueued?notice=`)).toBe(true);
  expect((await spool.getJob(id))?.state).toBe('deleted');
}

async function listenOn(server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('mounting the dashboard', () => {
  it('works in node:http under a base path, and passes other requests on', async () => {
    const dashboard = createDashboard(spool, { basePath: '/spool' });
    const server = createServer((req, res) => {
      dashboard(req, res, () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('the application');
      });
    });
    const origin = await listenOn(server);
    try {
      await exercise(origin, '/spool');
      expect(await (await fetch(`${origin}/elsewhere`)).text()).toBe('the application');
      expect(await (await fetch(`${origin}/spoolish`)).text()).toBe('the application');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('works in Express with app.use, detecting the base path', async () => {
    const app = express();
    app.use('/admin/jobs', createDashboard(spool));
    app.get('/', (_req, res) => void res.send('home'));
    const server = createServer(app);
    const origin = await listenOn(server);
    try {
      await exercise(origin, '/admin/jobs');
      expect(await (await fetch(`${origin}/`)).text()).toBe('home');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('works in Fastify through the raw request and a hijacked reply', async () => {
    const app = Fastify();
    // Leave form bodies unread: the dashboard reads them itself.
    app.addContentTypeParser('application/x-www-form-urlencoded', (_request, _payload, done) => done(null));
    const dashboard = createDashboard(spool, { basePath: '/spool' });
    app.all('/spool', (request, reply) => {
      reply.hijack();
      dashboard(request.raw, reply.raw);
    });
    app.all('/spool/*', (request, reply) => {
      reply.hijack();
      dashboard(request.raw, reply.raw);
    });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await exercise(origin, '/spool');
    } finally {
      await app.close();
    }
  });

  it('works in Hono on @hono/node-server through its Node bindings', async () => {
    const app = new Hono<{ Bindings: HttpBindings }>();
    const dashboard = createDashboard(spool, { basePath: '/spool' });
    app.all('/spool/*', (c) => {
      dashboard(c.env.incoming, c.env.outgoing);
      return RESPONSE_ALREADY_SENT;
    });
    app.get('/', (c) => c.text('home'));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await exercise(origin, '/spool');
      expect(await (await fetch(`${origin}/`)).text()).toBe('home');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('serves itself standalone, as `spool dashboard --port` does', async () => {
    const running = await serveDashboard(spool, { port: 0 });
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await exercise(running.url.replace(/\/$/, ''), '');
      const root = await fetch(running.url.replace(/\/$/, ''), { redirect: 'manual' });
      expect(root.status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
