import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetricsHandler, defineJob, EXPOSITION_CONTENT_TYPE, Spool, SpoolMetrics } from 'spool';

import { find, readExposition } from '../../core/test/prometheus-text.js';
import { runCli, startCli, tempDir, BY_NAME } from './cli-harness.js';

let dir: string;
let remove: () => void;
beforeEach(() => ({ dir, remove } = tempDir()));
afterEach(() => remove());

/** Serves `handler` on a free loopback port; returns its URL and a close function. */
async function serve(handler: ReturnType<typeof createMetricsHandler>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/metrics`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Waits until the CLI child prints `on <url>` on stderr. */
function announcedUrl(child: ReturnType<typeof startCli>['child']): Promise<string> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('close', () => reject(new Error(`the command exited early: ${stderr}`)));
  });
}

describe('createMetricsHandler', () => {
  it('serves the metrics in the Prometheus text format', async () => {
    const report = defineJob('reports.build', () => 1);
    const spool = new Spool({ storage: 'memory:', jobs: [report] });
    const metrics = new SpoolMetrics(spool);
    await spool.enqueue(report, null);
    const { url, close } = await serve(createMetricsHandler(metrics));
    try {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(EXPOSITION_CONTENT_TYPE);
      const families = readExposition(await response.text());
      expect(find(families, 'spool_jobs', { state: 'enqueued' })?.value).toBe(1);
      expect(find(families, 'spool_jobs_enqueued_total', { name: 'reports.build', queue: 'default' })?.value).toBe(1);
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
      const post = await fetch(url, { method: 'POST' });
      expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
      await spool.close();
      const closed = await fetch(url);
      expect(closed.status).toBe(503);
      expect(await closed.text()).toContain('Spool metrics unavailable');
    } finally {
      await close();
    }
  });
});

describe('spool metrics', () => {
  async function storageWithJobs(): Promise<string> {
    const storage = `sqlite:${join(dir, 'spool.db')}`;
    const spool = new Spool({ storage });
    await spool.enqueueMany('reports.build', [{ n: 1 }, { n: 2 }], BY_NAME);
    await spool.close();
    return storage;
  }

  it("prints the storage's gauges once", async () => {
    const run = await runCli(['metrics', '--storage', await storageWithJobs()]);
    expect(run.code).toBe(0);
    const families = readExposition(run.stdout);
    expect(find(families, 'spool_jobs', { state: 'enqueued' })?.value).toBe(2);
    expect(find(families, 'spool_queue_enqueued_jobs', { queue: 'default' })?.value).toBe(2);
    expect(find(families, 'spool_servers_alive')?.value).toBe(0);
  });

  it('serves them at /metrics with --port until SIGTERM', async () => {
    const { child, done } = startCli(['metrics', '--storage', await storageWithJobs(), '--port', '0']);
    const url = await announcedUrl(child);
    expect(url).toMatch(/\/metrics$/);
    const families = readExposition(await (await fetch(url)).text());
    expect(find(families, 'spool_jobs', { state: 'enqueued' })?.value).toBe(2);
    expect((await fetch(url.replace(/\/metrics$/, '/other'))).status).toBe(404);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('says what to do when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const storage = await storageWithJobs();
      for (const command of ['metrics', 'dashboard']) {
        const run = await runCli([command, '--storage', storage, '--port', String(port)]);
        expect(run.code, command).toBe(1);
        expect(run.stderr, command).toContain('ERR_PORT_IN_USE');
        expect(run.stderr, command).toContain(`--port ${port + 1}, or --port 0`);
      }
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
