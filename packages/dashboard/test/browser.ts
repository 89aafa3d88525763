import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

import type { Spool } from '@spool/core';
import type { DashboardOptions } from '@spool/dashboard';
import { createDashboard } from '@spool/dashboard';

import { listen } from './http-harness.js';

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go (git-ignored): look at them after a run. */
export const SCREENSHOTS = fileURLToPath(new URL('./.screenshots/', import.meta.url));

/**
 * Whether the browser tests can run. Under CI=true a missing Chromium fails the suite; elsewhere the
 * suite is skipped with a loud warning.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH. The dashboard's browser tests are SKIPPED.`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** ${message} ***\n`);
  return false;
}

/** Starts headless Chromium with a fresh profile and no background traffic; `extraArgs` go on its command line. */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/** What a browser test's dashboard is made of: the client it acts through, its options, and what to close after. */
export interface BrowserDashboardSetup {
  spool: Spool;
  options?: DashboardOptions;
  /** Closes what the set-up started (the spool itself by default). */
  close?: () => Promise<void>;
}

/**
 * For one describe block: a dashboard mounted at `/spool` on a free port, and a Chromium page that
 * accepts every confirmation dialog; both closed after the block. Read `page` and `url` in tests.
 */
export function useBrowserDashboard(setup: () => Promise<BrowserDashboardSetup>, viewport = { width: 1366, height: 900 }): { readonly page: Page; readonly url: string } {
  let browser: Browser | undefined;
  let page: Page | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;
  let done: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const made = await setup();
    done = made.close ?? (() => made.spool.close());
    server = await listen(createDashboard(made.spool, { basePath: '/spool', ...made.options }));
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await done?.();
  });
  return {
    get page() {
      return page!;
    },
    get url() {
      return `${server!.url}/spool`;
    },
  };
}
