import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EXPORT_JOB } from '../src/export-job.js';
import type { RunningDocumentExport } from '../src/start.js';
import { startDocumentExport } from '../src/start.js';
import { SCREENSHOTS, browserAvailable, launchBrowser } from './browser.js';
import { pdfText, tempFolder } from './helpers.js';

const available = browserAvailable();

/** A field guide of 30 blocks: long enough that the progress bar is seen moving. */
const FIELD_GUIDE = [
  '# Field guide to background jobs',
  'A *background job* moves slow work out of the request. The user gets an answer at once and follows the work on a **progress page**.',
  ...Array.from({ length: 12 }, (_, i) => `## Lesson ${i + 1}\n\nLesson ${i + 1} explains one habit of reliable workers: retries, leases and idempotent handlers.`),
  '- Keep arguments small\n- Write files atomically\n- Report progress',
  'Zebra crossings are the last words of this guide.',
].join('\n\n');

describe.skipIf(!available)('the document export in a real browser', () => {
  let folder: ReturnType<typeof tempFolder>;
  let app: RunningDocumentExport;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    folder = tempFolder('document-export-browser-');
    // 80 ms per block keeps the conversion of the 30 blocks slow enough to watch, under 3 s.
    app = await startDocumentExport({ storage: 'memory:', port: 0, storeDir: join(folder.dir, 'store'), blockDelayMs: 80, pollIntervalMs: 150, maxUploadBytes: 100_000 });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, colorScheme: 'light', acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    folder?.remove();
  });

  const shot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });

  it('uploads a document, shows the progress moving, and downloads a PDF with its text', async () => {
    const requests: string[] = [];
    const record = (r: { url(): string }) => requests.push(new URL(r.url()).pathname);
    page.on('request', record);
    await page.goto(`${app.url}/`);
    await shot('upload');
    await page.setInputFiles('#document', { name: 'field-guide.md', mimeType: 'text/markdown', buffer: Buffer.from(FIELD_GUIDE) });
    await Promise.all([page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/), page.click('button[type="submit"]')]);
    expect(await page.textContent('h1')).toBe('field-guide.md');

    // Watch the page (bounded) until it says the PDF is ready, noting every state and value it shows.
    const seen: string[] = [];
    let shotWhileRunning = false;
    for (let i = 0; i < 1000; i += 1) {
      const state = await page.getAttribute('#export', 'data-state');
      const progress = await page.getAttribute('#export', 'data-progress');
      const label = `${state} ${progress}`;
      if (seen.at(-1) !== label) seen.push(label);
      if (state === 'processing' && Number(progress) >= 30 && !shotWhileRunning) {
        await shot('progress-running');
        shotWhileRunning = true;
      }
      if (state === 'succeeded' || state === 'failed') break;
      await sleep(25);
    }
    expect(seen.at(-1)).toBe('succeeded 100');
    // The progress came over the page's one stream: the status API was never polled.
    page.off('request', record);
    expect(await page.getAttribute('#export', 'data-follow')).toBe('stream');
    expect(requests.filter((p) => p.startsWith('/status/') && p !== '/status/client.js')).toHaveLength(1);
    expect(requests.filter((p) => p.startsWith('/api/jobs/'))).toEqual([]);
    const midway = seen.filter((s) => /^processing (\d+)$/.test(s) && Number(s.split(' ')[1]) > 0 && Number(s.split(' ')[1]) < 100);
    expect(midway.length, `the page showed: ${seen.join(' -> ')}`).toBeGreaterThanOrEqual(2);
    expect(await page.getAttribute('#export-bar', 'value')).toBe('100');
    expect(await page.textContent('#export-percent')).toBe('100%');
    expect(await page.textContent('#export-state')).toMatch(/^Done: \d+ pages?, [\d.]+ KB\.$/);
    expect(await page.isVisible('#export-download')).toBe(true);
    await shot('progress-done');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
    expect(download.suggestedFilename()).toBe('field-guide.pdf');
    const pdf = await pdfText(readFileSync((await download.path())!));
    expect(pdf.text).toContain('Field guide to background jobs');
    expect(pdf.text).toContain('Lesson 12 explains one habit of reliable workers');
    expect(pdf.text).toContain('Zebra crossings are the last words of this guide.');
    expect(problems).toEqual([]);
  });

  it('falls back to polling the status API when the stream cannot open', async () => {
    const p = await page.context().newPage();
    await p.route('**/status/*?token=*', (route) => route.fulfill({ status: 503, body: 'streams are blocked here' }));
    const polled = p.waitForRequest((r) => /\/api\/jobs\/[0-9a-f-]{36}$/.test(r.url()));
    await p.goto(`${app.url}/`);
    await p.setInputFiles('#document', { name: 'short.md', mimeType: 'text/markdown', buffer: Buffer.from('# Short\n\nOne paragraph.') });
    await Promise.all([p.waitForURL(/\/jobs\/[0-9a-f-]{36}$/), p.click('button[type="submit"]')]);
    await polled;
    await p.waitForSelector('#export[data-state="succeeded"]');
    expect(await p.getAttribute('#export', 'data-follow')).toBe('polling');
    expect(await p.textContent('#export-percent')).toBe('100%');
    await p.close();
  });

  it('shows why a conversion failed, and offers no download', async () => {
    // A document id whose file is not in the store: the job fails at once with a clear message.
    const jobId = await app.spool.enqueue(EXPORT_JOB, { documentId: '7e57ab1e-0000-4000-8000-000000000000', fileName: 'lost <notes>.md', format: 'markdown' });
    await page.goto(`${app.url}/jobs/${jobId}`);
    await page.waitForSelector('#export[data-state="failed"]');
    expect(await page.textContent('#export-state')).toBe('The conversion failed.');
    expect(await page.textContent('#export-error')).toMatch(/^The uploaded document lost <notes>\.md \(7e57ab1e-[0-9a-f-]+\.md\) is no longer in the store; upload it again\.$/);
    expect(await page.isVisible('#export-download')).toBe(false);
    await shot('progress-failed');
    expect(problems).toEqual([]);
  });

  it('says at once, before uploading, that a file is too large or of the wrong type', async () => {
    await page.goto(`${app.url}/`);
    await page.setInputFiles('#document', { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7') });
    expect(await page.textContent('#upload-error')).toMatch(/^scan\.pdf is not a supported document/);
    await page.setInputFiles('#document', { name: 'huge.md', mimeType: 'text/markdown', buffer: Buffer.alloc(100_001, 0x61) });
    expect(await page.textContent('#upload-error')).toBe('huge.md is larger than the 97.7 KB limit. Upload a smaller document, or split it.');
    await page.click('button[type="submit"]');
    expect(new URL(page.url()).pathname).toBe('/');
    await shot('upload-refused');
    expect(problems).toEqual([]);
  });
});
