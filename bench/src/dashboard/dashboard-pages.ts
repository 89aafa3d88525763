import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { median, quantile } from '../stats.js';
import type { DatasetFacts } from './dashboard-dataset.js';

/** One page's server times, in milliseconds. */
export interface PageTiming {
  page: string;
  path: string;
  p50: number;
  p95: number;
  max: number;
}

/** The pages and API calls measured, with the dataset's ids filled in. */
export function dashboardPaths(facts: DatasetFacts): Array<[string, string]> {
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  return [
    ['overview', '/'],
    ['enqueued jobs', '/jobs/enqueued'],
    ['enqueued jobs of one queue', '/jobs/enqueued?queue=mail'],
    ['scheduled jobs', '/jobs/scheduled'],
    ['processing jobs', '/jobs/processing'],
    ['succeeded jobs', '/jobs/succeeded'],
    ['succeeded jobs, a page deep in the list', `/jobs/succeeded?cursor=${facts.deepCursor}`],
    ['failed jobs', '/jobs/failed'],
    ['deleted jobs', '/jobs/deleted'],
    ['awaiting jobs', '/jobs/awaiting'],
    ['succeeded jobs by job name', '/jobs/succeeded?sort=name'],
    ['enqueued jobs by job name', '/jobs/enqueued?sort=name'],
    ['scheduled jobs by job name', '/jobs/scheduled?sort=name'],
    ['failed jobs by job name', '/jobs/failed?sort=name'],
    ['failed jobs of one job name', '/jobs/failed?name=emails.send'],
    ['job detail', `/job/${facts.jobId}`],
    ['recurring jobs', '/recurring'],
    ['servers', '/servers'],
    ['queues', '/queues'],
    ['search by id', `/search?q=${facts.jobId}`],
    ['search by name', '/search?q=emails.send'],
    ['search by argument text (one match)', `/search?q=${encodeURIComponent(facts.rareArgument)}`],
    ['search by argument text, last hour', `/search?q=${encodeURIComponent(facts.rareArgument)}&from=${hourAgo}`],
    ['search with no match', '/search?q=no-such-text-anywhere'],
    ['search, failed jobs of one queue', '/search?state=failed&queue=mail'],
    ['confirm "delete all failed"', '/confirm?action=delete&state=failed'],
    ['confirm "delete all failed in queue mail"', '/confirm?action=delete&state=failed&queue=mail'],
    ['API: stats (live poll)', '/api/stats'],
    ['API: time series per day', '/api/time-series?bucket=day'],
    ['API: one job (live poll)', `/api/job/${facts.jobId}`],
  ];
}

/**
 * Measures the server time of every page: from the handler receiving the request to the response
 * finishing, over loopback HTTP, `rounds` times each after two warm-up requests.
 */
export async function measurePages(spool: Spool, facts: DatasetFacts, rounds: number, log: (line: string) => void): Promise<PageTiming[]> {
  const dashboard = createDashboard(spool);
  let last = 0;
  const server = createServer((req, res) => {
    const started = performance.now();
    res.once('finish', () => (last = performance.now() - started));
    dashboard(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const timings: PageTiming[] = [];
  try {
    for (const [page, path] of dashboardPaths(facts)) {
      const samples: number[] = [];
      for (let i = 0; i < rounds + 2; i++) {
        const response = await fetch(`${origin}${path}`);
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
        await response.arrayBuffer();
        if (i >= 2) samples.push(last);
      }
      const timing = { page, path, p50: median(samples), p95: quantile(samples, 0.95), max: Math.max(...samples) };
      timings.push(timing);
      log(`  ${page}: p50 ${timing.p50.toFixed(1)} ms, p95 ${timing.p95.toFixed(1)} ms`);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return timings;
}
