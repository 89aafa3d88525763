import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { SCREENSHOTS, browserAvailable, launchBrowser } from './browser.js';
import { listen } from './http-harness.js';

const available = browserAvailable();

describe.skipIf(!available)('the flow page, in a real browser', () => {
  let spool: Spool;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  let flowId = '';
  let chargeId = '';

  beforeAll(async () => {
    const step = defineJob('order.step', () => 'done');
    spool = new Spool({ storage: new MemoryStorage(), jobs: [step] });
    const flow = await spool.flow(
      [
        { name: 'charge', job: step },
        { name: 'ship', job: step, dependsOn: ['charge'] },
        { name: 'notify', job: step, dependsOn: ['charge'] },
        { name: 'close', job: step, dependsOn: ['ship', 'notify'] },
      ],
      { description: 'Order o-7' },
    );
    flowId = flow.id;
    chargeId = flow.jobs['charge']!;
    await spool.perform(chargeId);
    const server = await listen(createDashboard(spool, { basePath: '/spool' }));
    url = `${server.url}/spool`;
    close = server.close;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await spool?.close();
  });

  it('draws every step under the strict CSP, coloured by state, each a link to its job', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') refused.push(message.text());
    });
    await page.goto(`${url}/batch/${flowId}`);
    const graph = page.locator('[data-flow-graph]');
    await expect(graph.isVisible()).resolves.toBe(true);
    const box = await graph.boundingBox();
    expect(box!.width).toBeGreaterThan(400);
    expect(await page.locator('[data-step]').count()).toBe(4);
    expect(await page.locator('[data-step="charge"]').getAttribute('data-step-state')).toBe('succeeded');
    expect(await page.locator('[data-step="close"]').getAttribute('data-step-state')).toBe('awaiting');
    // The boxes of a later step stand to the right of its parents'.
    const charge = await page.locator('[data-step="charge"] rect').boundingBox();
    const closeBox = await page.locator('[data-step="close"] rect').boundingBox();
    expect(closeBox!.x).toBeGreaterThan(charge!.x + charge!.width);
    await page.screenshot({ path: `${SCREENSHOTS}flow-page.png`, fullPage: true });
    await page.locator('[data-step="charge"]').click();
    await page.waitForURL(`**/job/${chargeId}`);
    expect(refused).toEqual([]);
  });
});
