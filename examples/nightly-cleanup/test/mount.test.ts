import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { ConfigError, Spool } from 'spool';
import { afterEach, describe, expect, it } from 'vitest';

import { cleanupSettingsFromEnv } from '../src/cleanup-settings.js';
import type { CleanupStatus } from '../src/cleanup-status.js';
import { mountNightlyCleanup } from '../src/mount.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

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
    const mount = await mountNightlyCleanup(spool, { basePath: '/cleanup', exportsDir: 'data/exports', cron: '30 2 * * 1-5', timezone: 'Asia/Tokyo', dashboardPath: '/admin/jobs' });
    expect(mount.queues).toEqual(['maintenance']);
    expect(spool.registry.find('exports.cleanup')).toBeDefined();
    const http = createServer((req, res) => {
      req.url = req.url!.slice('/cleanup'.length) || '/';
      void mount.handle(req, res);
    });
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise<void>((done) => http.close(() => done())));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/cleanup`;

    const status = (await (await fetch(`${url}/api/status`)).json()) as CleanupStatus & { dashboard: string };
    expect(status).toMatchObject({ id: 'exports.nightly-cleanup', cron: '30 2 * * 1-5', timezone: 'Asia/Tokyo', paused: false, maxAgeDays: 7, dashboard: '/admin/jobs/recurring', lastRuns: [] });
    expect(status.exportsDir).toBe(resolve('data/exports'));
    // 02:30 in Tokyo is 17:30 UTC the day before.
    expect(status.nextRunAt).toMatch(/T17:30:00\.000Z$/);
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain('href="/admin/jobs/recurring"');
    expect(page).toContain('href="/cleanup/api/status"');
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${url}/api/status`, { method: 'POST' })).status).toBe(405);
  });

  it('serves its page under a strict content policy, styled by its own stylesheet under the prefix, with every value escaped', async () => {
    const spool = tempSpool();
    const mount = await mountNightlyCleanup(spool, { basePath: '/cleanup', exportsDir: 'data/<b>exports</b>' });
    const http = createServer((req, res) => {
      req.url = req.url!.slice('/cleanup'.length) || '/';
      void mount.handle(req, res);
    });
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise<void>((done) => http.close(() => done())));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/cleanup`;

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

  it('refuses a time zone or cron expression that does not exist, and a maximum age that is not a number of days', async () => {
    const spool = tempSpool();
    await expect(mountNightlyCleanup(spool, { exportsDir: 'x', timezone: 'Europe/Atlantis' })).rejects.toBeInstanceOf(ConfigError);
    await expect(mountNightlyCleanup(spool, { exportsDir: 'x', cron: 'every night' })).rejects.toBeInstanceOf(ConfigError);
    await expect(mountNightlyCleanup(spool, { exportsDir: 'x', maxAgeDays: 0 })).rejects.toThrow(/maxAgeDays/);
    await expect(mountNightlyCleanup(spool, { exportsDir: '' })).rejects.toThrow(/exportsDir/);
  });

  it('reads its settings from the environment, with a default for each', () => {
    expect(cleanupSettingsFromEnv({})).toEqual({ exportsDir: resolve('data/exports'), maxAgeDays: 7, cron: '0 3 * * *', timezone: 'Europe/Berlin' });
    expect(cleanupSettingsFromEnv({ CLEANUP_EXPORTS_DIR: '/srv/exports', CLEANUP_MAX_AGE_DAYS: '30', CLEANUP_CRON: '0 4 * * 0', CLEANUP_TIMEZONE: 'UTC' })).toEqual({
      exportsDir: '/srv/exports',
      maxAgeDays: 30,
      cron: '0 4 * * 0',
      timezone: 'UTC',
    });
    expect(() => cleanupSettingsFromEnv({ CLEANUP_MAX_AGE_DAYS: 'a week' })).toThrow(/maxAgeDays/);
  });
});

describe('the jobs module for spool worker', () => {
  it('exports the cleanup job, configured from the environment', async () => {
    const { isJobDefinition } = await import('spool');
    process.env.CLEANUP_EXPORTS_DIR = '/srv/exports-for-worker';
    const module = (await import('../src/jobs.js')) as Record<string, unknown>;
    const definitions = Object.values(module).filter(isJobDefinition);
    expect(definitions.map((d) => [d.name, d.options.queue])).toEqual([['exports.cleanup', 'maintenance']]);
    delete process.env.CLEANUP_EXPORTS_DIR;
  });
});
