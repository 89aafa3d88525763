import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MessagePush } from '../src/start.js';
import { startMessagePush } from '../src/start.js';

let dir: string;
let app: MessagePush;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'message-push-pages-'));
  app = await startMessagePush({ storage: `sqlite:${join(dir, 'push.db')}`, port: 0, failureRate: 0 });
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const form = (path: string, fields: Record<string, string>) =>
  fetch(`${app.url}${path}`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
/** Every job in the storage, whatever its state. */
async function totalJobs(): Promise<number> {
  return Object.values((await app.spool.stats()).states).reduce((a, b) => a + b, 0);
}
const page = (path: string) => fetch(`${app.url}${path}`, { headers: { accept: 'text/html' } });

describe('the message-push pages', () => {
  it('shows a form with the known users, under a policy that allows no script', async () => {
    const res = await page('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<option value="ann">');
    expect(html).toContain('action="/messages"');
  });

  it('answers a sent form with a redirect to the job page, which follows the job until it succeeded', async () => {
    const res = await form('/messages', { userId: 'carol', text: 'Dinner at <b>8</b>' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/jobs\/[0-9a-f-]{36}$/);
    let html = '';
    for (let i = 0; i < 100; i++) {
      html = await (await page(location)).text();
      if (html.includes('class="state succeeded">succeeded</span>')) break;
      await sleep(50);
    }
    expect(html).toContain('class="state succeeded">succeeded</span>');
    expect(html).not.toContain('http-equiv="refresh"');
    // The text is shown escaped, never as markup.
    expect(html).toContain('Dinner at &lt;b&gt;8&lt;/b&gt;');
  });

  it('accepts a burst in one round trip and says how many were accepted', async () => {
    const before = await totalJobs();
    const res = await form('/bursts', { count: '25' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/\?burst=25&ms=\d+$/);
    expect(await (await page(location)).text()).toContain('25 messages accepted');
    expect((await totalJobs()) - before).toBe(25);
  });

  it('refuses a bad form with a readable page and stores nothing', async () => {
    // Jobs of earlier tests may still be changing state: count jobs, not states.
    const before = await totalJobs();
    for (const [path, fields] of [
      ['/messages', { userId: 'ann', text: '' }],
      ['/messages', { userId: 'nobody', text: 'hi' }],
      ['/bursts', { count: '5000' }],
      ['/bursts', { count: 'many' }],
    ] as const) {
      const res = await form(path, fields);
      expect(res.status, `${path} ${JSON.stringify(fields)}`).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('content-type')).toContain('text/html');
    }
    expect(await totalJobs()).toBe(before);
    expect((await page('/jobs/not-an-id')).status).toBe(404);
  });
});
