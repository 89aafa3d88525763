import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

import { listenHttp } from '@spool-examples/web-kit';
import type { ExampleMount } from '@spool-examples/web-kit';
import { ConfigError, Spool } from 'spool';
import { afterEach, describe, expect, it } from 'vitest';

import { cleanupSettingsFromEnv } from '../src/cleanup-settings.js';
import type { CleanupStatus } from '../src/cleanup-status.js';
import { mountNightlyCleanup } from '../src/mount.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Serves the mount under `/cleanup` on a free port, as a host does; returns its URL. */
async function serveUnderPrefix(mount: ExampleMount): Promise<string> {
  const http = createServer((req, res) => {
    req.url = req.url!.slice('/cleanup'.length) || '/';
    void mount.handle(req, res);
  });
  const base = await listenHttp(http, { port: 0 });
  cleanups.push(() => new Promise<void>((done) => http.close(() => done())));
  return `${base}/cleanup`;
}

function tempSpool(): Spool {
  const dir = mkdtempSync(join(tmpdir(), 'nightly-cleanup-mount-'));
  const spool = new Spool({ storage: `sqlite:${join(dir, 'spool.db')}` });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => spool.close());
  return spool;
}

describe('mounting the nightly cleanup in a bigger app', () => {
  it('serves its status under the host prefix, with the schedule it registered', async () => {
    const spool = tempSpool();
    const mount = await mountNightlyCleanup(spool, { basePath: '/cleanup', folders: ['data/exports', 'data/uploads'], cron: '30 2 * * 1-5', timezone: 'Asia/Tokyo', dashboardPath: '/admin/jobs' });
    expect(mount.queues).toEqual(['maintenance']);
    expect(await spool.recurring.get('exports.nightly-cleanup')).toMatchObject({ name: 'exports.cleanup', queue: 'maintenance' });
    const url = await serveUnderPrefix(mount);

    const status = (await (await fetch(`${url}/api/status`)).json()) as CleanupStatus & { dashboard: string };
    expect(status).toMatchObject({ id: 'exports.nightly-cleanup', cron: '30 2 * * 1-5', timezone: 'Asia/Tokyo', paused: false, maxAgeDays: 7, dashboard: '/admin/jobs/recurring', lastRuns: [] });
    expect(status.folders).toEqual([resolve('data/exports'), resolve('data/uploads')]);
    // 02:30 in Tokyo is 17:30 UTC the day before.
    expect(status.nextRunAt).toMatch(/T17:30:00\.000Z$/);
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain('href="/admin/jobs/recurring"');
    expect(page).toContain('href="/cleanup/api/status"');
    for (const folder of status.folders) expect(page).toContain(`<li><code>${folder}</code></li>`);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${url}/api/status`, { method: 'POST' })).status).toBe(405);
  });

  it('serves its page under a strict content policy, styled by its own stylesheet under the prefix, with every value escaped', async () => {
    const spool = tempSpool();
    const mount = await mountNightlyCleanup(spool, { basePath: '/cleanup', folders: ['data/<b>exports</b>'] });
    const url = await serveUnderPrefix(mount);

    const res = await fetch(`${url}/`);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'");
    const page = await res.text();
    expect(page).toContain('<link rel="stylesheet" href="/cleanup/style.css">');
    // The policy lets no inline style or script run, so the page must have none.
    expect(page).not.toMatch(/<style|<script|\sstyle=/i);
    expect(page).toContain('data/&#60;b&#62;exports&#60;/b&#62;');
    expect(page).not.toContain('<b>');
    const css = await fetch(`${url}/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('prefers-color-scheme:dark');
    expect((await fetch(`${url}/style.css`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a time zone or cron expression that does not exist, a maximum age that is not a number of days, and no folder', async () => {
    const spool = tempSpool();
    await expect(mountNightlyCleanup(spool, { folders: ['x'], timezone: 'Europe/Atlantis' })).rejects.toBeInstanceOf(ConfigError);
    await expect(mountNightlyCleanup(spool, { folders: ['x'], cron: 'every night' })).rejects.toBeInstanceOf(ConfigError);
    await expect(mountNightlyCleanup(spool, { folders: ['x'], maxAgeDays: 0 })).rejects.toThrow(/maxAgeDays/);
    await expect(mountNightlyCleanup(spool, { folders: [] })).rejects.toThrow(/folders/);
    await expect(mountNightlyCleanup(spool, { folders: ['data/exports', ''] })).rejects.toThrow(/folders/);
  });

  it('reads its settings from the environment, with a default for each', () => {
    expect(cleanupSettingsFromEnv({})).toEqual({ folders: [resolve('data/exports')], maxAgeDays: 7, cron: '0 3 * * *', timezone: 'Europe/Berlin' });
    const folders = ['/srv/exports', '/srv/uploads', '/srv/exports'].join(delimiter);
    expect(cleanupSettingsFromEnv({ CLEANUP_FOLDERS: folders, CLEANUP_MAX_AGE_DAYS: '30', CLEANUP_CRON: '0 4 * * 0', CLEANUP_TIMEZONE: 'UTC' })).toEqual({
      folders: [resolve('/srv/exports'), resolve('/srv/uploads')],
      maxAgeDays: 30,
      cron: '0 4 * * 0',
      timezone: 'UTC',
    });
    // The older single-folder setting still counts when CLEANUP_FOLDERS is not set.
    expect(cleanupSettingsFromEnv({ CLEANUP_EXPORTS_DIR: '/srv/old-exports' }).folders).toEqual([resolve('/srv/old-exports')]);
    expect(cleanupSettingsFromEnv({ CLEANUP_FOLDERS: '/srv/a', CLEANUP_EXPORTS_DIR: '/srv/old-exports' }).folders).toEqual([resolve('/srv/a')]);
    expect(() => cleanupSettingsFromEnv({ CLEANUP_FOLDERS: delimiter })).toThrow(/folders/);
    expect(() => cleanupSettingsFromEnv({ CLEANUP_MAX_AGE_DAYS: 'a week' })).toThrow(/maxAgeDays/);
  });
});

describe('the jobs module for spool worker', () => {
  it('exports the cleanup job, configured from the environment', async () => {
    const { isJobDefinition } = await import('spool');
    process.env.CLEANUP_FOLDERS = '/srv/exports-for-worker';
    const module = (await import('../src/jobs.js')) as Record<string, unknown>;
    const definitions = Object.values(module).filter(isJobDefinition);
    expect(definitions.map((d) => [d.name, d.options.queue])).toEqual([['exports.cleanup', 'maintenance']]);
    delete process.env.CLEANUP_FOLDERS;
  });
});
