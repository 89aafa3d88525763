import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exportsDir, tempDir, uploadsDir } from '../src/document-store.js';
import { EXPORT_JOB } from '../src/export-job.js';
import type { RunningDocumentExport } from '../src/start.js';
import { startDocumentExport } from '../src/start.js';
import { FIXTURES, filesUnder, jobStatus, pdfText, tempFolder, upload, waitForFinish } from './helpers.js';

type Accepted = { jobId: string; status: string; result: string; page: string };
type ApiError = { error: { code: string; message: string } };

const MAX_UPLOAD_BYTES = 64 * 1024;
let folder: ReturnType<typeof tempFolder>;
let storeDir: string;
let app: RunningDocumentExport;

beforeAll(async () => {
  folder = tempFolder('document-export-');
  storeDir = join(folder.dir, 'store');
  // No pacing: these tests are about what is converted, not about watching it.
  app = await startDocumentExport({ storage: `sqlite:${join(folder.dir, 'spool.db')}`, port: 0, storeDir, maxUploadBytes: MAX_UPLOAD_BYTES, blockDelayMs: 0 });
});

afterAll(async () => {
  await app?.close();
  folder?.remove();
});

async function accept(res: Response): Promise<Accepted> {
  expect(res.status, await res.clone().text()).toBe(202);
  const body = (await res.json()) as Accepted;
  expect(res.headers.get('location')).toBe(body.status);
  return body;
}

async function refused(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = (await res.json()) as ApiError;
  expect(body.error.code).toBe(code);
  return body.error.message;
}

/** Files of the store outside the uploads and exports made by earlier tests. */
function storeFilesExcept(before: string[]): string[] {
  return filesUnder(storeDir).filter((f) => !before.includes(f));
}

describe('converting documents', () => {
  it.each([
    ['quarterly-report.md', 'markdown', ['Quarterly report', 'The Spool team shipped three features', 'A dashboard that', 'shows progress', 'Plan', 'SKIP LOCKED', 'spool.enqueue(exportDocument', 'café, naïve']],
    ['release-notes.html', 'html', ['Release notes', 'First line', 'second line & more.', 'Alpha', 'More on alpha', 'indented', '[diagram]']],
    ['meeting-notes.txt', 'text', ['Meeting notes', 'Attendees: Ann, Bo and Carol.', 'Action items: ship the document export.', 'Next meeting on Thursday.']],
  ] as const)('turns %s (%s) into a PDF that holds its text', async (fileName, format, phrases) => {
    const { jobId, result } = await accept(await upload(app.url, fileName, readFileSync(join(FIXTURES, fileName))));
    const status = await waitForFinish(app.url, jobId);
    expect(status).toMatchObject({ state: 'succeeded', progress: 100, error: null, document: { fileName, format } });
    expect(status.result).toMatchObject({ url: result, downloadName: fileName.replace(/\.\w+$/, '.pdf') });

    const res = await fetch(`${app.url}${result}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toContain(`filename="${status.result!.downloadName}"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBe(status.result!.bytes);
    const pdf = await pdfText(bytes);
    expect(pdf.pages).toBe(status.result!.pages);
    for (const phrase of phrases) expect(pdf.text).toContain(phrase);
    // What a browser would not show is not in the PDF either.
    expect(pdf.text).not.toContain('alert(1)');
  });

  it('gives the job a reference to the file, never its contents, and keeps the PDF in exports/', async () => {
    const { jobId } = await accept(await upload(app.url, 'reference.md', '# Reference\n\nThe words of this document stay in the store.'));
    await waitForFinish(app.url, jobId);
    const job = await app.spool.getJob(jobId);
    expect(job!.name).toBe(EXPORT_JOB);
    const args = job!.args as Record<string, unknown>;
    expect(Object.keys(args).sort()).toEqual(['documentId', 'fileName', 'format']);
    expect(JSON.stringify(job!.args)).not.toContain('words of this document');
    expect(job!.result).toMatchObject({ documentId: args.documentId, pdf: `exports/${String(args.documentId)}.pdf` });

    const pdf = join(exportsDir(storeDir), `${String(args.documentId)}.pdf`);
    expect(statSync(pdf).mtimeMs).toBeLessThanOrEqual(Date.now());
    expect(readFileSync(join(uploadsDir(storeDir), `${String(args.documentId)}.md`), 'utf8')).toContain('words of this document');
    expect(filesUnder(tempDir(storeDir))).toEqual([]);
  });

  it('names the download after the uploaded file, whatever its characters', async () => {
    const { jobId, result } = await accept(await upload(app.url, 'Übersicht "Q3"; final.md', '# Übersicht\n\nZahlen für das dritte Quartal.'));
    await waitForFinish(app.url, jobId);
    const res = await fetch(`${app.url}${result}`);
    expect(res.status).toBe(200);
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent('Übersicht "Q3"; final.pdf')}`);
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+"; /);
    expect((await pdfText(new Uint8Array(await res.arrayBuffer()))).text).toContain('Zahlen für das dritte Quartal.');
  });
});

describe('refusing documents', () => {
  it('answers 413 with the limit for a document over the size limit, and keeps nothing of it', async () => {
    const before = filesUnder(storeDir);
    const message = await refused(await upload(app.url, 'big.md', 'x'.repeat(MAX_UPLOAD_BYTES + 1)), 413, 'document_too_large');
    expect(message).toBe('The document is larger than the 64 KB limit. Upload a smaller document, or split it.');
    expect(storeFilesExcept(before)).toEqual([]);
  });

  it('answers 413 to an upload declared far over the limit, before reading it', async () => {
    const before = filesUnder(storeDir);
    await refused(await upload(app.url, 'huge.md', 'x'.repeat(MAX_UPLOAD_BYTES * 8)), 413, 'document_too_large');
    expect(storeFilesExcept(before)).toEqual([]);
  });

  it('answers 413 to an upload sent without a declared length that goes on far past the limit', async () => {
    const before = filesUnder(storeDir);
    const boundary = 'x-chunked-boundary';
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${app.url}/api/exports`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.write(`--${boundary}\r\ncontent-disposition: form-data; name="document"; filename="endless.txt"\r\n\r\n`);
      for (let i = 0; i < 40; i += 1) req.write('y'.repeat(16 * 1024));
      req.end(`\r\n--${boundary}--\r\n`);
    });
    expect(status).toBe(413);
    expect((JSON.parse(body) as ApiError).error.code).toBe('document_too_large');
    expect(storeFilesExcept(before)).toEqual([]);
    // The server is still there for the next upload.
    const { jobId } = await accept(await upload(app.url, 'after.txt', 'Still serving.'));
    expect((await waitForFinish(app.url, jobId)).state).toBe('succeeded');
  });

  it('accepts a document of exactly the size limit', async () => {
    const { jobId } = await accept(await upload(app.url, 'exact.txt', `${'word '.repeat(MAX_UPLOAD_BYTES / 5 - 1)}end. `));
    expect((await waitForFinish(app.url, jobId)).state).toBe('succeeded');
  });

  it.each(['slides.pdf', 'letter.docx', 'README', 'photo.md.png'])('answers 415 for %s, naming the accepted types', async (fileName) => {
    const before = filesUnder(storeDir);
    const message = await refused(await upload(app.url, fileName, 'some text'), 415, 'unsupported_document');
    expect(message).toMatch(/upload Markdown \(\.md\), HTML \(\.html\) or plain text \(\.txt\)\. Accepted: \.md, \.markdown, \.html, \.htm, \.txt, \.text\.$/);
    expect(storeFilesExcept(before)).toEqual([]);
  });

  it.each([
    ['damaged.md', Uint8Array.from([0x23, 0x20, 0x48, 0x69, 0x0a, 0xc3, 0x28, 0xff, 0xfe]), 'corrupt_document', /^damaged\.md is not valid UTF-8 text/],
    ['image.txt', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]), 'corrupt_document', /not valid UTF-8 text/],
    ['binary.html', new TextEncoder().encode('<p>text\u0000\u0001\u0002</p>'), 'corrupt_document', /^binary\.html contains binary data \(control character U\+0000 on line 1\)/],
    ['blank.md', new TextEncoder().encode(' \n\n\t \n'), 'empty_document', /^blank\.md is empty/],
  ] as const)('answers 422 for %s, a document that is not readable text, and keeps nothing of it', async (fileName, bytes, code, pattern) => {
    const before = filesUnder(storeDir);
    expect(await refused(await upload(app.url, fileName, bytes), 422, code)).toMatch(pattern);
    expect(storeFilesExcept(before)).toEqual([]);
  });

  it('answers 400 without a document and 415 for a body that is not a form upload', async () => {
    const form = new FormData();
    form.append('note', 'no file here');
    await refused(await fetch(`${app.url}/api/exports`, { method: 'POST', body: form }), 400, 'missing_document');
    const message = await refused(
      await fetch(`${app.url}/api/exports`, { method: 'POST', body: '# Hi', headers: { 'content-type': 'text/markdown' } }),
      415,
      'unsupported_media_type',
    );
    expect(message).toContain('multipart/form-data');
  });
});

describe('a conversion that fails', () => {
  it('fails at once with a clear error, and leaves no PDF, when the stored document is unreadable', async () => {
    // The upload checks keep such a file out; a file damaged in the store after the upload is the way in.
    const documentId = '0a5c3f7e-1b2d-4c8e-9f00-123456789abc';
    writeFileSync(join(uploadsDir(storeDir), `${documentId}.md`), Uint8Array.from([0x23, 0x20, 0xc3, 0x28, 0x0a]));
    const jobId = await app.spool.enqueue(EXPORT_JOB, { documentId, fileName: 'damaged.md', format: 'markdown' });
    const status = await waitForFinish(app.url, jobId);
    expect(status.state).toBe('failed');
    expect(status.error).toEqual({ code: 'ERR_CORRUPT_DOCUMENT', message: expect.stringMatching(/^damaged\.md is not valid UTF-8 text/) });
    expect((await app.spool.getJob(jobId))!.attempt).toBe(1);
    expect(filesUnder(exportsDir(storeDir))).not.toContain(`${documentId}.pdf`);
    expect(filesUnder(tempDir(storeDir))).toEqual([]);

    const res = await fetch(`${app.url}/api/jobs/${jobId}/result`);
    expect(res.status).toBe(409);
    expect(((await res.json()) as ApiError).error.message).toMatch(/is not available: it failed: damaged\.md is not valid UTF-8/);
  });

  it('fails with a clear error when the uploaded document is gone', async () => {
    const documentId = '0a5c3f7e-1b2d-4c8e-9f00-000000000000';
    const jobId = await app.spool.enqueue(EXPORT_JOB, { documentId, fileName: 'gone.txt', format: 'text' });
    const status = await waitForFinish(app.url, jobId);
    expect(status.state).toBe('failed');
    expect(status.error).toEqual({ code: 'ERR_DOCUMENT_MISSING', message: expect.stringContaining('gone.txt') });
  });

  it('answers 410 when a finished PDF has been cleaned up from the store', async () => {
    const { jobId, result } = await accept(await upload(app.url, 'short-lived.txt', 'Soon cleaned up.'));
    await waitForFinish(app.url, jobId);
    const job = await app.spool.getJob(jobId);
    const { pdf } = job!.result as { pdf: string };
    const { rmSync } = await import('node:fs');
    rmSync(join(storeDir, pdf));
    const res = await fetch(`${app.url}${result}`);
    expect(res.status).toBe(410);
    expect(((await res.json()) as ApiError).error.message).toMatch(/has been deleted from the store/);
  });
});

describe('the status API', () => {
  it('answers 404 for an unknown job and for a job that is not an export, 400 for a malformed id', async () => {
    const other = await app.spool.enqueue('another.example', { hello: 'world' }, { queue: 'elsewhere', attempts: 1, timeout: null });
    for (const id of ['01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f', other]) {
      await refused(await fetch(`${app.url}/api/jobs/${id}`), 404, 'not_found');
      await refused(await fetch(`${app.url}/api/jobs/${id}/result`), 404, 'not_found');
    }
    await refused(await fetch(`${app.url}/api/jobs/not-an-id`), 400, 'bad_request');
  });

  it('answers 405 with the allowed method for a wrong method', async () => {
    const res = await fetch(`${app.url}/api/exports`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('reports a job that has not run yet as enqueued at 0%', async () => {
    const documentId = '0a5c3f7e-1b2d-4c8e-9f00-111111111111';
    // A queue no server listens on keeps the job waiting.
    const jobId = await app.spool.enqueue(EXPORT_JOB, { documentId, fileName: 'waiting.md', format: 'markdown' }, { queue: 'nobody-listens' });
    expect(await jobStatus(app.url, jobId)).toMatchObject({ state: 'enqueued', progress: 0, result: null, error: null, document: { fileName: 'waiting.md' } });
    const res = await fetch(`${app.url}/api/jobs/${jobId}/result`);
    expect(res.status).toBe(409);
    expect(((await res.json()) as ApiError).error.message).toMatch(/it is enqueued \(0%\)/);
  });
});
