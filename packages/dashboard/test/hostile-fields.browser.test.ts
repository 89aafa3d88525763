import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { NewJob } from '@spool/core';
import { DEFAULT_RECURRING_SETTINGS, MemoryStorage, MetricsRecorder, Spool, UuidV7Generator } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { browserAvailable, launchBrowser, SCREENSHOTS } from './browser.js';

const available = browserAvailable();

/**
 * Markup that becomes an element if a page renders it raw: each names its field, so a failure says
 * which one. (Script would not run anyway under the dashboard's CSP; an element shows the escape is
 * missing all the same.)
 */
const hostile = (field: string): string => `<b data-xss="${field}">${field}</b>"'<i data-xss="${field}-attr" x="`;

const FIELDS = [
  'job-name',
  'queue',
  'server-id',
  'error-name',
  'error-code',
  'error-message',
  'error-stack',
  'cause-message',
  'parameter-key',
  'parameter-value',
  'unique-key',
  'result',
  'reason',
  'hostname',
  'recurring-id',
  'recurring-name',
  'recurring-queue',
  'metrics-name',
  'metrics-queue',
  'audit-actor',
  'audit-action',
  'audit-target',
  'audit-message',
  'override-set-by',
  'override-code-cron',
  'override-code-timezone',
] as const;
// The recurring template's arguments are hostile too, though no page shows them yet: if one starts
// to, the check for injected elements covers it.

describe.skipIf(!available)('every rendered field, hostile, in a real browser', () => {
  let spool: Spool;
  let browser: Browser;
  let page: Page;
  let url: string;
  let close: () => Promise<void>;
  const ids: string[] = [];

  beforeAll(async () => {
    const storage = new MemoryStorage();
    spool = new Spool({ storage });
    await spool.init();
    // Rows as another tool (or an older version) could have written them, through the storage contract.
    const uuids = new UuidV7Generator();
    const job = (overrides: Partial<NewJob>): NewJob => ({
      id: uuids.next(),
      name: hostile('job-name'),
      args: { note: 'hostile fields' },
      queue: hostile('queue'),
      priority: 0,
      state: 'enqueued',
      runAt: null,
      maxAttempts: 1,
      timeoutMs: null,
      retentionMs: null,
      backoff: null,
      uniqueKey: null,
      parentId: null,
      continueOn: null,
      recurringId: null,
      parameters: { [hostile('parameter-key')]: hostile('parameter-value') },
      reason: hostile('reason'),
      ...overrides,
    });
    const created = [job({ uniqueKey: hostile('unique-key') }), job({}), job({})];
    await storage.jobsCreate({ jobs: created });
    ids.push(...created.map((j) => j.id));
    const serverId = hostile('server-id');
    await storage.serverHeartbeat({
      server: { id: serverId, hostname: hostile('hostname'), pid: 1, queues: [hostile('queue')], concurrency: 1, jobNames: [hostile('job-name')], running: 1, startedAt: new Date() },
    });
    const fetched = await storage.jobsFetch({ queues: [hostile('queue')], names: null, limit: 3, serverId, leaseMs: 60_000 });
    const byId = new Map(fetched.map((f) => [f.id, f]));
    const [failing, succeeding] = [byId.get(ids[0]!)!, byId.get(ids[1]!)!];
    await storage.jobsComplete({
      serverId,
      completions: [
        {
          id: failing.id,
          leaseToken: failing.leaseToken,
          outcome: {
            state: 'failed',
            reason: hostile('reason'),
            error: {
              name: hostile('error-name'),
              code: hostile('error-code'),
              message: hostile('error-message'),
              stack: hostile('error-stack'),
              cause: { name: 'Error', message: hostile('cause-message') },
            },
          },
        },
        { id: succeeding.id, leaseToken: succeeding.leaseToken, outcome: { state: 'succeeded', reason: hostile('reason'), result: { html: hostile('result') } } },
      ],
    });
    await storage.recurringUpsert({
      recurring: {
        id: hostile('recurring-id'),
        name: hostile('recurring-name'),
        args: { html: hostile('recurring-args') },
        cron: '0 2 * * *',
        timezone: 'UTC',
        queue: hostile('recurring-queue'),
        priority: 0,
        maxAttempts: 1,
        timeoutMs: null,
        retentionMs: null,
        misfire: 'once',
        paused: false,
        nextRunAt: new Date(Date.now() + 3_600_000),
        settings: { ...DEFAULT_RECURRING_SETTINGS, override: { code: { cron: hostile('override-code-cron'), timezone: hostile('override-code-timezone') }, setBy: hostile('override-set-by'), setAt: new Date() } },
      },
    });
    const metrics = new MetricsRecorder();
    metrics.outcome(hostile('metrics-name'), hostile('metrics-queue'), 'succeeded', Date.now(), 25);
    await storage.metricsRecord({ counts: metrics.take() });
    await storage.auditAppend({
      entry: { actor: hostile('audit-actor'), action: hostile('audit-action'), subject: 'recurring', targets: [hostile('audit-target')], count: 3, outcome: 'refused', message: hostile('audit-message') },
      keep: 100,
    });
    const handler = createDashboard(spool, { basePath: '/spool', pollInterval: 60_000 });
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/spool`;
    close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    await spool?.close();
  });

  /** The fields whose hostile markup became elements on the page. */
  const injected = () => page.evaluate(() => [...document.querySelectorAll('[data-xss]')].map((e) => e.getAttribute('data-xss')));

  it('renders every one of them as text, on every page', async () => {
    const paths = [
      '/',
      ...['enqueued', 'processing', 'succeeded', 'failed', 'scheduled', 'awaiting', 'deleted'].map((s) => `/jobs/${s}`),
      ...ids.map((id) => `/job/${id}`),
      '/recurring',
      `/recurring/detail?id=${encodeURIComponent(hostile('recurring-id'))}`,
      '/metrics',
      '/metrics?window=day',
      '/audit',
      '/servers',
      '/queues',
      `/search?q=${encodeURIComponent('data-xss')}`,
      `/jobs/enqueued?queue=${encodeURIComponent(hostile('queue'))}`,
    ];
    const seen = new Set<string>();
    for (const path of paths) {
      await page.goto(`${url}${path}`);
      await page.waitForLoadState('networkidle');
      expect(await injected(), path).toEqual([]);
      const text = (await page.textContent('body')) ?? '';
      // As text, in plain fields or inside JSON (where its quotes are escaped).
      for (const field of FIELDS) if (text.includes(`>${field}</b>`)) seen.add(field);
    }
    await page.goto(`${url}/job/${ids[0]}`);
    await page.screenshot({ path: `${SCREENSHOTS}hostile-fields-job.png`, fullPage: true });
    // Each field was shown somewhere, as text: the test looked at all of them.
    expect([...FIELDS].filter((f) => !seen.has(f))).toEqual([]);
  });
});
