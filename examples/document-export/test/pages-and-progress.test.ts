import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ExampleMount } from '@spool-examples/web-kit';
import type { JobContext } from 'spool';
import { Spool } from 'spool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tempDir, uploadsDir } from '../src/document-store.js';
import { defineExportJob } from '../src/export-job.js';
import { CONTENT_SECURITY_POLICY } from '../src/http-util.js';
import { mountDocumentExport } from '../src/mount.js';
import { filesUnder, tempFolder, upload, waitForFinish } from './helpers.js';

/** A document of 40 paragraphs: 40 blocks to lay out, and so 40 progress steps. */
const LONG_DOCUMENT = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1} of the long document, with a few words to lay out.`).join('\n\n');

let folder: ReturnType<typeof tempFolder>;
let storeDir: string;
let spool: Spool;
let mount: ExampleMount;
let host: Server;
let origin: string;
let url: string;

// The example mounted under /export in a host app, as the showcase runs it.
beforeAll(async () => {
  folder = tempFolder('document-export-pages-');
  storeDir = join(folder.dir, 'store');
  spool = new Spool({ storage: 'memory:' });
  mount = await mountDocumentExport(spool, { basePath: '/export', storeDir, maxUploadBytes: 32 * 1024, blockDelayMs: 20, pollIntervalMs: 100 });
  await spool.startServer({ queues: mount.queues, handleSignals: false, pollInterval: '50ms' });
  host = createServer((req, res) => {
    if (req.url === '/export' || req.url?.startsWith('/export/')) {
      req.url = req.url.slice('/export'.length) || '/';
      void mount.handle(req, res);
    } else {
      res.writeHead(404).end('host: not found');
    }
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  url = `${origin}/export`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    if (!host) return resolve();
    host.closeAllConnections();
    host.close(() => resolve());
  });
  await mount?.close();
  await spool?.close();
  folder?.remove();
});

describe('progress', () => {
  it('moves step by step from 0 to 100 while the document is laid out', async () => {
    const res = await upload(url, 'long.txt', LONG_DOCUMENT);
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const seen: number[] = [];
    const final = await waitForFinish(url, jobId, (status) => {
      if (status.state === 'processing') seen.push(status.progress);
    }, 10);
    expect(final).toMatchObject({ state: 'succeeded', progress: 100 });
    const between = [...new Set(seen)].filter((p) => p > 0 && p < 100);
    expect(between.length, `progress values seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('leaves no PDF and no temporary file when a conversion is aborted halfway', async () => {
    const documentId = '5d0c7a1e-2f3b-4c5d-8e9f-0a1b2c3d4e5f';
    writeFileSync(join(uploadsDir(storeDir), `${documentId}.txt`), LONG_DOCUMENT);
    const definition = defineExportJob({ storeDir, blockDelayMs: 1 });
    const controller = new AbortController();
    const reported: number[] = [];
    const ctx: JobContext = {
      id: '01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f',
      name: definition.name,
      queue: definition.options.queue,
      attempt: 1,
      maxAttempts: 3,
      signal: controller.signal,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      snooze: () => {
        throw new Error('this job never snoozes');
      },
      progress: async (percent) => {
        reported.push(percent);
        // The server aborts a job at shutdown, on timeout, or when it is deleted: here, at half way.
        if (percent >= 50) controller.abort(new Error('stopped at half way'));
      },
      getParameter: async () => undefined,
      setParameter: async () => undefined,
      parent: async () => null,
      parents: async () => ({}),
      jobs: { enqueue: async () => 'unused' },
    };
    const before = filesUnder(storeDir);
    await expect(definition.handler({ documentId, fileName: 'long.txt', format: 'text' }, ctx)).rejects.toThrow('stopped at half way');
    expect(Math.max(...reported)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...reported)).toBeLessThan(100);
    expect(filesUnder(storeDir)).toEqual(before);
    expect(filesUnder(tempDir(storeDir))).toEqual([]);
  });
});

describe('uploads that do not complete', () => {
  it('removes the partial file when the client disconnects mid-upload', async () => {
    const before = filesUnder(storeDir);
    const boundary = 'x-test-boundary';
    const head = `--${boundary}\r\ncontent-disposition: form-data; name="document"; filename="cut.txt"\r\ncontent-type: text/plain\r\n\r\n`;
    const socket = connect((host.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /export/api/exports HTTP/1.1\r\nhost: localhost\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: 20000\r\n\r\n${head}${'partial text '.repeat(400)}`,
    );
    // Wait (bounded) until the upload is being written, then hang up.
    for (let i = 0; i < 200 && filesUnder(tempDir(storeDir)).length === 0; i += 1) await sleep(10);
    expect(filesUnder(tempDir(storeDir))).toHaveLength(1);
    socket.destroy();
    for (let i = 0; i < 200 && filesUnder(tempDir(storeDir)).length > 0; i += 1) await sleep(10);
    expect(filesUnder(storeDir)).toEqual(before);
  });
});

describe('the pages', () => {
  it('redirects a form upload to the progress page under the mount path', async () => {
    const form = new FormData();
    form.append('document', new Blob(['# Hello\n\nFrom the form.']), 'hello.md');
    const res = await fetch(`${url}/exports`, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/export\/jobs\/[0-9a-f-]{36}$/);
    const page = await fetch(`${origin}${res.headers.get('location')}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/export/assets/progress.js" defer></script>');
    // The page's live stream: under the mount path, with a token for this job only.
    const stream = /data-stream-url="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
    expect(stream).toMatch(/^\/export\/status\/[0-9a-f-]{36}\?token=v1\.[0-9a-f-]{36}\.\d+\.[\w-]+$/);
    const events = await fetch(`${origin}${stream}`);
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await events.body?.cancel();
    expect(html).toContain('href="/export/assets/style.css"');
    expect(html).toMatch(/data-status-url="\/export\/api\/jobs\/[0-9a-f-]{36}"/);
  });

  it('serves every page with a strict Content-Security-Policy and no inline script', async () => {
    for (const path of ['/', '/jobs/01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f', '/nowhere']) {
      const res = await fetch(`${url}${path}`);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      const html = await res.text();
      for (const tag of html.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/^<script src="\/export\/assets\/[a-z]+\.js" defer>$/);
      expect(html).not.toMatch(/ on[a-z]+=/i);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('escapes a hostile file name on the progress page', async () => {
    const hostile = `<img src=x onerror="window.__xss=1">'&.md`;
    const res = await upload(url, hostile, 'Hostile name, harmless text.');
    const { page } = (await res.json()) as { page: string };
    const html = await (await fetch(`${origin}${page}`)).text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;img src=x onerror=&#34;window.__xss=1&#34;&#62;&#39;&#38;.md');
  });

  it('serves the assets with their content types', async () => {
    for (const [name, type] of [['progress.js', 'text/javascript'], ['upload.js', 'text/javascript'], ['style.css', 'text/css']]) {
      const res = await fetch(`${url}/assets/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(`${type}; charset=utf-8`);
      expect((await res.text()).length).toBeGreaterThan(100);
    }
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
  });

  it('explains a refused form upload on a page, with its status', async () => {
    const form = new FormData();
    form.append('document', new Blob(['%PDF-1.7']), 'scan<1>.pdf');
    const res = await fetch(`${url}/exports`, { method: 'POST', body: form });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('The document was not accepted');
    expect(html).toContain('upload Markdown (.md), HTML (.html) or plain text (.txt).');
    expect(html).toContain('href="/export/"');
  });
});
