import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDashboard } from '@spool/dashboard';

import { SCREENSHOTS, browserAvailable, launchBrowser } from './browser.js';
import { listen } from './http-harness.js';
import type { Showcase } from './showcase.js';
import { showcase } from './showcase.js';

const available = browserAvailable();
const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Where the pictures go: the documentation's folder when SPOOL_DOC_SCREENSHOTS=1
 * (`npm run screenshots:dashboard`), else the git-ignored folder of the other browser tests, so that
 * an ordinary test run leaves the working tree as it was.
 */
const OUT = process.env.SPOOL_DOC_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../docs/images/dashboard/', import.meta.url)) : `${SCREENSHOTS}docs/`;

describe.skipIf(!available)('screenshots of every page, light and dark, for the documentation', () => {
  let seeded: Showcase;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    seeded = await showcase();
    const server = await listen(createDashboard(seeded.spool, { basePath: '/spool' }));
    url = `${server.url}/spool`;
    close = server.close;
    browser = await launchBrowser();
    mkdirSync(OUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await seeded?.close();
  });

  it("says on a waiting job's page which limit holds it", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${url}/job/${seeded.ids.waiting}`);
    expect(await page.textContent('[data-wait-reason] p')).toBe('waiting for a slot of job catalog.import: 1 of 1 running');
    await context.close();
  });

  it('takes each page in light and dark mode', async () => {
    const pages: Array<[string, string, string]> = [
      ['overview', '/', '[data-chart="throughput"] svg path.line'],
      ['jobs-enqueued', '/jobs/enqueued', 'tbody tr'],
      ['jobs-processing', '/jobs/processing', 'tbody tr'],
      ['jobs-succeeded', '/jobs/succeeded', 'tbody tr'],
      ['jobs-failed', '/jobs/failed', 'tbody tr'],
      ['job-processing', `/job/${seeded.ids.processing}`, '[data-logs]'],
      ['job-failed', `/job/${seeded.ids.failed}`, '.stack'],
      ['dead-letters', '/dead-letters', '[data-dead-letter-groups] tbody tr'],
      ['batches', '/batches', 'tbody tr'],
      ['flow', `/batch/${seeded.ids.flow}`, '[data-flow-graph]'],
      ['job-waiting', `/job/${seeded.ids.waiting}`, '[data-wait-reason]'],
      ['job-scheduled', `/job/${seeded.ids.scheduled}`, '[data-change-form] [data-run-now]'],
      ['metrics', '/metrics?sort=runP95&dir=desc', '[data-chart="outcomes"] svg .bar'],
      ['audit', '/audit', '[data-audit] tbody tr'],
      ['recurring', '/recurring', 'tbody tr'],
      ['queues', '/queues', 'tbody tr'],
      ['limits', '/limits/edit?scope=queue:mail', '[data-limits-form]'],
      ['servers', '/servers', 'tbody tr'],
      ['search', '/search?q=example.com', 'tbody tr'],
      ['enqueue', `/enqueue?from=${seeded.ids.succeeded}`, '[data-enqueue-form]'],
    ];
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: scheme, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
      const page = await context.newPage();
      for (const [name, path, ready] of pages) {
        await page.goto(`${url}${path}`);
        await page.waitForSelector(ready, { state: 'attached' });
        // The live dot turns green once the page's stream is open: the page as an operator sees it.
        await page.waitForSelector('[data-live-dot]:not(.offline)');
        // Nothing of the machine that took the picture (its paths) may show in the documentation.
        expect(await page.textContent('body')).not.toContain(REPOSITORY);
        const file = `${OUT}${name}-${scheme}.png`;
        await page.screenshot({ path: file, fullPage: true });
        expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(scheme === 'dark');
      }
      await context.close();
    }
  });
});
