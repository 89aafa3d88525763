import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NIGHTLY_CLEANUP_ID } from '../src/cleanup-job.js';
import type { CleanupStatus } from '../src/cleanup-status.js';
import type { NightlyCleanupHost } from '../src/start.js';
import { startNightlyCleanup } from '../src/start.js';
import { quickServer, waitFor, writeFileAt } from './helpers.js';

const DAY = 86_400_000;
let dir: string;
let exportsDir: string;
let host: NightlyCleanupHost;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nightly-cleanup-dashboard-'));
  exportsDir = join(dir, 'exports');
  mkdirSync(exportsDir);
  host = await startNightlyCleanup({ storage: `sqlite:${join(dir, 'spool.db')}`, folders: [exportsDir], port: 0, maxAgeDays: 3, timezone: 'America/New_York', server: quickServer });
});

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The dashboard's CSRF token, as its pages carry it for their forms. */
function csrfOf(page: string): string {
  const match = /<meta name="spool-csrf" content="([^"]+)">/.exec(page);
  if (!match) throw new Error('the page has no CSRF token');
  return match[1]!;
}

/** The notice the dashboard shows after an action, from the redirect's address. */
function noticeOf(response: Response): string {
  return new URL(response.headers.get('location')!, host.url).searchParams.get('notice') ?? '';
}

/** Presses one of the recurring page's buttons, as the browser's form post does. */
async function press(action: 'pause' | 'resume' | 'trigger'): Promise<Response> {
  const page = await (await fetch(`${host.url}/spool/recurring`)).text();
  const body = new URLSearchParams({ _csrf: csrfOf(page), id: NIGHTLY_CLEANUP_ID, action, back: '/spool/recurring' });
  return fetch(`${host.url}/spool/actions/recurring`, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: host.url },
  });
}

describe('the nightly cleanup in the dashboard', () => {
  it('is listed on the recurring page with its schedule and time zone', async () => {
    const page = await (await fetch(`${host.url}/spool/recurring`)).text();
    expect(page).toContain(`id="r-${NIGHTLY_CLEANUP_ID}"`);
    expect(page).toContain('<code>0 3 * * *</code> · America/New_York');
  });

  it('pauses and resumes through the dashboard, as the recurring job in storage shows', async () => {
    const paused = await press('pause');
    expect(paused.status).toBe(303);
    expect(noticeOf(paused)).toContain(`Paused ${NIGHTLY_CLEANUP_ID}`);
    expect(await host.spool.recurring.get(NIGHTLY_CLEANUP_ID)).toMatchObject({ paused: true, nextRunAt: null });
    expect(await (await fetch(`${host.url}/spool/recurring`)).text()).toContain('<span class="badge paused">paused</span>');
    const status = (await (await fetch(`${host.url}/api/status`)).json()) as CleanupStatus;
    expect(status).toMatchObject({ paused: true, nextRunAt: null });

    expect((await press('resume')).status).toBe(303);
    const resumed = (await host.spool.recurring.get(NIGHTLY_CLEANUP_ID))!;
    expect(resumed.paused).toBe(false);
    expect(resumed.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it('stays paused when its host restarts and registers it again', async () => {
    expect((await press('pause')).status).toBe(303);
    const again = await startNightlyCleanup({ storage: `sqlite:${join(dir, 'spool.db')}`, folders: [exportsDir], port: 0, maxAgeDays: 3, timezone: 'America/New_York', worker: false });
    try {
      expect((await again.spool.recurring.get(NIGHTLY_CLEANUP_ID))!.paused).toBe(true);
    } finally {
      await again.close();
    }
    expect((await press('resume')).status).toBe(303);
  });

  it('runs at once when triggered in the dashboard, and its page shows the run', async () => {
    writeFileAt(join(exportsDir, 'invoice-2019.pdf'), Date.now() - 5 * DAY);
    writeFileAt(join(exportsDir, 'invoice-today.pdf'), Date.now());
    const triggered = await press('trigger');
    expect(triggered.status).toBe(303);
    const jobId = /job ([0-9a-f-]{36}) enqueued/.exec(noticeOf(triggered))![1]!;
    const job = await waitFor(async () => {
      const j = await host.spool.getJob(jobId);
      return j?.state === 'succeeded' ? j : null;
    }, 'the triggered cleanup');
    expect(job.result).toMatchObject({ deleted: 1, kept: 1, deletedFiles: ['invoice-2019.pdf'] });
    expect(job.logs.some((l) => l.message.startsWith('deleted invoice-2019.pdf'))).toBe(true);
    expect(existsSync(join(exportsDir, 'invoice-2019.pdf'))).toBe(false);
    expect(existsSync(join(exportsDir, 'invoice-today.pdf'))).toBe(true);
    // The schedule is untouched by a manual run.
    expect((await host.spool.recurring.get(NIGHTLY_CLEANUP_ID))!.paused).toBe(false);

    const page = await (await fetch(`${host.url}/`)).text();
    expect(page).toContain(`href="/spool/job/${jobId}"`);
    expect(page).toContain('deleted 1, kept 1');
    expect(page).toContain('href="/spool/recurring"');
  });
});
