import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NIGHTLY_CLEANUP_ID } from '@spool-examples/nightly-cleanup';

import type { Showcase } from '../src/showcase.js';
import { startShowcase } from '../src/showcase.js';
import { EXAMPLES } from '../src/examples.js';

let dir: string;
let showcase: Showcase;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'showcase-'));
  showcase = await startShowcase({ storage: `sqlite:${join(dir, 'spool.db')}`, dataDir: dir, port: 0, pushFailureRate: 0, exportBlockDelayMs: 0 });
});

afterAll(async () => {
  await showcase?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`${showcase.url}${path}`);

describe('the showcase: every example in one process', () => {
  it('lists every example and the dashboard on its index page, and each answers at its path', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    const html = await index.text();
    for (const example of EXAMPLES) {
      expect(html).toContain(`href="${example.start}"`);
      const res = await get(example.start);
      expect(res.status, example.start).toBe(200);
    }
    expect(html).toContain('href="/spool/"');
    const dashboard = await get('/spool/');
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain('Spool showcase');
    expect((await get('/showcase.css')).headers.get('content-type')).toContain('text/css');
    expect((await get('/nowhere')).status).toBe(404);
    expect((await get('/pushy')).status).toBe(404);
  });

  it('runs a push through the mounted API, with links under its mount path', async () => {
    const res = await fetch(`${showcase.url}/push/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'ann', text: 'hello from the showcase' }),
    });
    expect(res.status).toBe(202);
    const { jobId, status } = (await res.json()) as { jobId: string; status: string };
    expect(status).toBe(`/push/api/jobs/${jobId}`);
    let state = '';
    for (let i = 0; i < 100 && state !== 'succeeded'; i++) {
      state = ((await (await get(status)).json()) as { state: string }).state;
      if (state !== 'succeeded') await sleep(50);
    }
    expect(state).toBe('succeeded');
  });

  it('registers the nightly cleanup as a recurring job the dashboard shows', async () => {
    const recurring = await showcase.spool.recurring.list();
    expect(recurring.map((r) => r.id)).toContain(NIGHTLY_CLEANUP_ID);
    const page = await (await get('/spool/recurring')).text();
    expect(page).toContain(NIGHTLY_CLEANUP_ID);
  });

  it('runs a Spool server per example, each on its own queues', () => {
    expect(showcase.servers).toHaveLength(EXAMPLES.length);
  });
});
