import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { FolderFileStore, MemoryStorage, Spool, defineJob } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { listen } from './http-harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const report = defineJob('reports.build', async (args: { rows: string[] }) => ({ lines: args.rows.length, body: args.rows.join('\n') }));

async function start(options: Parameters<typeof createDashboard>[1] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'spool-dashboard-payloads-'));
  const storage = new MemoryStorage();
  const spool = new Spool({ storage, files: new FolderFileStore(dir), jobs: [report], payloads: { offloadAboveBytes: 1024 } });
  const server = await listen(createDashboard(spool, options));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(async () => {
    await server.close();
    await spool.close();
  });
  return { spool, dir, ...server };
}

const rows = Array.from({ length: 300 }, (_, i) => `row ${i}: ${'x'.repeat(20)}`);

describe('by-reference payloads in the dashboard', () => {
  it('shows the size of arguments and a result stored by reference, and offers them for download', async () => {
    const { spool, url } = await start();
    const id = await spool.enqueue(report, { rows });
    await spool.perform(id);

    const page = await (await fetch(`${url}/job/${id}`)).text();
    expect(page).toContain('Stored by reference in the file store');
    expect(page).toContain(`href="/job/${id}/payload/args"`);
    expect(page).toContain(`href="/job/${id}/payload/result"`);
    // The page names the size, not the content.
    expect(page).not.toContain('row 299');

    const args = await fetch(`${url}/job/${id}/payload/args`);
    expect(args.status).toBe(200);
    expect(args.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(args.headers.get('content-disposition')).toBe(`attachment; filename="${id}-args.json"`);
    expect(args.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(args.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await args.json()).toEqual({ rows });

    const result = await fetch(`${url}/job/${id}/payload/result`);
    expect(await result.json()).toEqual({ lines: 300, body: rows.join('\n') });
  });

  it('answers 404 for a value stored inline, a missing file and an unknown job', async () => {
    const { spool, url, dir } = await start();
    const inline = await spool.enqueue(report, { rows: ['one'] });
    expect((await fetch(`${url}/job/${inline}/payload/args`)).status).toBe(404);
    const big = await spool.enqueue(report, { rows });
    rmSync(join(dir, 'payloads'), { recursive: true, force: true });
    const gone = await fetch(`${url}/job/${big}/payload/args`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('the file store has no file');
    expect((await fetch(`${url}/job/0190a0b0-0000-7000-8000-000000000000/payload/args`)).status).toBe(404);
  });

  it('serves downloads only to requests the dashboard authorizes', async () => {
    const { spool, url } = await start({ authorize: () => false });
    const id = await spool.enqueue(report, { rows });
    const refused = await fetch(`${url}/job/${id}/payload/args`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain('row 1');
  });
});
