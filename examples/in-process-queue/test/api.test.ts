import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Spool } from 'spool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { InProcessQueueMount, WorkStatus } from '../src/mount.js';
import { mountInProcessQueue } from '../src/mount.js';

const BASE = '/in-process-queue';
let dir: string;
let spool: Spool;
let mount: InProcessQueueMount;
let http: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'in-process-queue-api-'));
  spool = new Spool({ storage: `sqlite:${join(dir, 'spool.db')}` });
  // One consumer, room for two: a burst of ten fills the in-memory queue at once.
  mount = await mountInProcessQueue(spool, { basePath: BASE, capacity: 2, consumers: 1, latencyMs: 20 });
  await spool.startServer({ queues: mount.queues, concurrency: 1, handleSignals: false, pollInterval: 50 });
  // A host that mounts the example under a prefix, as a bigger app does: it strips the prefix.
  http = createServer((req, res) => {
    if (!req.url?.startsWith(`${BASE}/`)) return void res.writeHead(404).end();
    req.url = req.url.slice(BASE.length);
    void mount.handle(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}${BASE}`;
});

afterAll(async () => {
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  await mount?.close();
  await spool?.close();
  rmSync(dir, { recursive: true, force: true });
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

type Burst = { via: string; accepted: number; producerWaits: number; ids: string[] };

describe('the in-process queue example behind a prefix', () => {
  it('slows the producer of a burst once the in-memory queue is full, while Spool takes a burst at once', async () => {
    const memory = (await (await post('/api/burst', { via: 'memory', count: 10 })).json()) as Burst;
    expect(memory).toMatchObject({ via: 'memory', accepted: 10 });
    // The producer found the queue full and had to wait for room.
    expect(memory.producerWaits).toBeGreaterThan(0);

    const spoolBurst = (await (await post('/api/burst', { via: 'spool', count: 10 })).json()) as Burst;
    expect(spoolBurst).toMatchObject({ via: 'spool', accepted: 10, producerWaits: 0 });
    // Every email is a stored job by the time the producer has its answer.
    const jobs = await Promise.all(spoolBurst.ids.map((id) => spool.getJob(id)));
    expect(jobs.every((job) => job !== null && job.name === 'emails.welcome')).toBe(true);

    const deadline = Date.now() + 20_000;
    let status: WorkStatus;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await (await fetch(`${url}/api/status`)).json()) as WorkStatus;
    } while ((status.sentHere.memory < 10 || status.sentHere.spool < 10) && Date.now() < deadline);
    expect(status.sentHere).toEqual({ memory: 10, spool: 10 });
    expect(status.memory).toMatchObject({ capacity: 2, consumers: 1, buffered: 0, waitingProducers: 0 });
    expect(status.spool).toEqual({ queue: 'welcome-emails', waiting: 0 });
  });

  it('accepts one email on either path with 202', async () => {
    for (const via of ['memory', 'spool']) {
      const res = await post('/api/emails', { to: 'ann@example.com', via });
      expect(res.status).toBe(202);
      expect(((await res.json()) as { via: string }).via).toBe(via);
    }
  });

  it('serves its page with links under the prefix and to the dashboard', async () => {
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain(`action="${BASE}/api/burst"`);
    expect(page).toContain('href="/spool/queues"');
  });

  it('serves its page under a strict content policy, styled by its own stylesheet under the prefix', async () => {
    const res = await fetch(`${url}/`);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'");
    const page = await res.text();
    expect(page).toContain(`<link rel="stylesheet" href="${BASE}/style.css">`);
    // The policy lets no inline style or script run, so the page must have none.
    expect(page).not.toMatch(/<style|<script|\sstyle=/i);
    const css = await fetch(`${url}/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('prefers-color-scheme:dark');
    expect((await fetch(`${url}/style.css`, { method: 'POST' })).status).toBe(405);
  });

  it('answers bad input with 400, a wrong method with 405 and an unknown path with 404', async () => {
    for (const body of [{ via: 'disk', count: 1 }, { via: 'memory', count: 0 }, { via: 'spool', count: 501 }, { via: 'memory' }]) {
      const res = await post('/api/burst', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    expect((await post('/api/emails', { to: 'not-an-address', via: 'memory' })).status).toBe(400);
    expect((await fetch(`${url}/api/burst`)).status).toBe(405);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
  });
});

describe('the jobs module for spool worker', () => {
  it('exports the welcome-email job, configured from the environment', async () => {
    const { isJobDefinition } = await import('spool');
    process.env.COMPLETED_FILE = join(dir, 'worker-sent.log');
    const module = (await import('../src/jobs.js')) as Record<string, unknown>;
    const definitions = Object.values(module).filter(isJobDefinition);
    expect(definitions.map((d) => [d.name, d.options.queue])).toEqual([['emails.welcome', 'welcome-emails']]);
    delete process.env.COMPLETED_FILE;
  });
});
