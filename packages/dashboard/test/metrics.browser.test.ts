import { describe, expect, it } from 'vitest';

import { MemoryStorage, MetricsRecorder, Spool } from '@spool/core';

import { browserAvailable, useBrowserDashboard } from './browser.js';
import { BY_NAME } from './fixtures.js';

const available = browserAvailable();

/** Adds outcomes as a server would: `ok` successes and `failed` failures of `runMs` each, now. */
async function ran(storage: MemoryStorage, name: string, queue: string, ok: number, failed: number, runMs: number): Promise<void> {
  const recorder = new MetricsRecorder();
  const now = Date.now();
  for (let i = 0; i < ok; i++) recorder.outcome(name, queue, 'succeeded', now, runMs);
  for (let i = 0; i < failed; i++) recorder.outcome(name, queue, 'failed', now, runMs);
  for (let i = 0; i < ok + failed; i++) recorder.started(name, queue, now, 20);
  await storage.metricsRecord({ counts: recorder.take() });
}

describe.skipIf(!available)('the metrics page, in a real browser', () => {
  let storage: MemoryStorage;
  let spool: Spool;

  const b = useBrowserDashboard(async () => {
    storage = new MemoryStorage();
    spool = new Spool({ storage });
    await ran(storage, 'emails.send', 'default', 90, 10, 40);
    await ran(storage, 'reports.build', 'reports', 12, 0, 3000);
    return { spool, options: { pollInterval: 300 } };
  }, { width: 1366, height: 860 });

  const rows = async (): Promise<string[]> => b.page.locator('[data-metrics] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-metrics-row') ?? ''));
  const cell = (name: string, column: number) => b.page.locator(`[data-metrics] tbody tr[data-metrics-row="${name}"] td`).nth(column).textContent();

  it('shows throughput, failure rate and percentiles per job name, and draws the outcomes', async () => {
    await b.page.goto(`${b.url}/metrics`);
    expect(await rows()).toEqual(['emails.send', 'reports.build']);
    expect(await cell('emails.send', 4)).toBe('10.0 %');
    expect(await cell('emails.send', 2)).toBe('1.50');
    expect(await cell('reports.build', 8)).toMatch(/^[23]s$/);
    expect(await b.page.locator('[data-chart="outcomes"] svg .bar').count()).toBe(60);
  });

  it('sorts by a column, both ways, and keeps the sort when the window changes', async () => {
    await b.page.goto(`${b.url}/metrics`);
    await Promise.all([b.page.waitForURL(/sort=runP50/), b.page.click('[data-sort="runP50"]')]);
    expect(await rows()).toEqual(['reports.build', 'emails.send']);
    await Promise.all([b.page.waitForURL(/sort=runP50(?!&dir=desc)/), b.page.click('[data-sort="runP50"]')]);
    expect(await rows()).toEqual(['emails.send', 'reports.build']);
    await Promise.all([b.page.waitForURL(/window=day/), b.page.click('[data-window="day"]')]);
    expect(await b.page.getAttribute('[data-window="day"]', 'aria-selected')).toBe('true');
    expect(await rows()).toEqual(['emails.send', 'reports.build']);
    expect(await b.page.locator('[data-chart="outcomes"] svg .bar').count()).toBe(24);
  });

  it('updates by itself when jobs change', async () => {
    await b.page.goto(`${b.url}/metrics`);
    await ran(storage, 'exports.csv', 'exports', 5, 0, 100);
    // Any change of the counts pushes to the page, which reads its content again.
    await spool.enqueue('exports.csv', {}, BY_NAME);
    await b.page.waitForSelector('[data-metrics-row="exports.csv"]');
    expect(await rows()).toEqual(['emails.send', 'exports.csv', 'reports.build']);
  });
});
