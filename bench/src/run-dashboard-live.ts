/**
 * The dashboard's live updates: server CPU per open page, at idle and under load.
 * `node bench/dist/run-dashboard-live.js --pages 4 --seconds 15 --rate 1000`
 *
 * On PostgreSQL (`--url`, default the local test database; a schema of its own, dropped at the end),
 * three processes: the dashboard alone in one (its CPU time is read from inside it), a load process
 * that enqueues `--rate` jobs a second and runs them, and this one, which opens `--pages` Chromium
 * pages on the dashboard (overview pages, then lists of succeeded jobs; each pushed over its stream,
 * then with the stream refused so that it polls every 2 s) and reads the dashboard's CPU over
 * `--seconds`. Everything talks over loopback and stops by itself.
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '15' },
    rate: { type: 'string', default: '1000' },
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});
const pages = Math.min(20, Math.max(1, Number(values.pages)));
const seconds = Math.min(120, Math.max(3, Number(values.seconds)));
const rate = Math.min(5000, Math.max(1, Number(values.rate)));
const url = values.url;
if (!/^postgres(ql)?:\/\/[^@]*@?(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) throw new Error(`--url must be a loopback PostgreSQL URL, got ${url}`);
const schema = `spool_bench_live_${process.pid}`;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Starts a bench process and waits for its first message. */
async function start(script: string, args: string[]): Promise<{ child: ChildProcess; first: Record<string, unknown> }> {
  const child = fork(new URL(script, import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, first };
}

/** Asks a bench process one question. */
function ask<T>(child: ChildProcess, question: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(question);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** The dashboard's CPU time over `seconds`, as a share of one core, and jobs finished meanwhile. */
async function window(dashboard: ChildProcess, load: ChildProcess | null): Promise<{ cpu: number; jobsPerSecond: number | null }> {
  const before = await ask<{ cpuMs: number }>(dashboard, 'cpu');
  const finishedBefore = load ? (await ask<{ finished: number }>(load, 'count')).finished : 0;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await ask<{ cpuMs: number }>(dashboard, 'cpu');
  const elapsed = performance.now() - t0;
  const finishedAfter = load ? (await ask<{ finished: number }>(load, 'count')).finished : 0;
  return { cpu: (after.cpuMs - before.cpuMs) / elapsed, jobsPerSecond: load ? ((finishedAfter - finishedBefore) * 1000) / elapsed : null };
}

/** Opens the pages; `polling`: their streams are refused (as a proxy that buffers them would), so they poll. */
async function openPages(browser: Browser, base: string, path: string, polling: boolean): Promise<Page[]> {
  const opened: Page[] = [];
  for (let i = 0; i < pages; i++) {
    const page = await browser.newPage();
    if (polling) await page.route('**/api/live*', (route) => route.fulfill({ status: 503, body: 'refused for the benchmark' }));
    // The page counts as open once its stream answered (or its first poll did).
    const live = page.waitForResponse((r) => (polling ? r.url().includes('/api/stats') : r.url().includes('/api/live') && r.status() === 200));
    await page.goto(`${base}${path}`);
    await live;
    opened.push(page);
  }
  return opened;
}

const loadAverage = loadavg()[0]!;
const { child: dashboard, first } = await start('./dashboard-live/dashboard-process.js', [url, schema]);
const base = String(first.url).replace(/\/$/, '');
const browser = await chromium.launch({ executablePath: values.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const rows: string[] = [];
let load: ChildProcess | null = null;
try {
  // Warm-up: the first requests compile the dashboard's code; then let the process settle.
  for (const page of await openPages(browser, base, '/', false)) await page.close();
  await new Promise((r) => setTimeout(r, 3000));
  for (const phase of ['idle', 'load'] as const) {
    if (phase === 'load') {
      log(`starting the load: ${rate} jobs/s`);
      load = (await start('./dashboard-live/load-process.js', [url, schema, String(rate)])).child;
      await new Promise((r) => setTimeout(r, 2000));
    }
    log(`${phase}: no page open`);
    const none = await window(dashboard, load);
    const kinds = [
      ['overview, pushed', '/', false],
      ['succeeded jobs, pushed', '/jobs/succeeded', false],
      ['overview, polling', '/', true],
      ['succeeded jobs, polling', '/jobs/succeeded', true],
    ] as const;
    for (const [label, path, polling] of kinds) {
      log(`${phase}: ${pages} pages open: ${label}`);
      const open = await openPages(browser, base, path, polling);
      const some = await window(dashboard, load);
      for (const page of open) await page.close();
      // All of the process's CPU counted against the pages: an upper bound (the no-page column is
      // the same process with nothing open, for comparison; it is noisy at this scale).
      const perPage = some.cpu / pages;
      const rateText = some.jobsPerSecond === null ? '—' : `${Math.round(some.jobsPerSecond).toLocaleString('en-US')}`;
      rows.push(`| ${phase} | ${label} | ${rateText} | ${(none.cpu * 100).toFixed(2)} % | ${(some.cpu * 100).toFixed(2)} % | ${(perPage * 100).toFixed(2)} % |`);
    }
  }
} finally {
  await browser.close();
  if (load) await stop(load);
  await stop(dashboard);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

console.log(`PostgreSQL, Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), 1-minute load average ${loadAverage.toFixed(2)} at the start`);
console.log(`${pages} pages per row, ${seconds} s per window; CPU as a share of one core, of the dashboard's process only\n`);
console.log('| phase | pages open | jobs finished/s | dashboard CPU, no page | dashboard CPU, pages open | per open page (at most) |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
