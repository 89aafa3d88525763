import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ExampleMount } from '@spool-examples/web-kit';
import { HttpError, allow, answerError, sendHtml, sendJson } from '@spool-examples/web-kit';
import { randomBytes } from 'node:crypto';

import type { FileStore, JobRecord, JobStatus, Json, Spool } from 'spool';
import { createJobStatus, isUuid } from 'spool';

import type { DocumentFormat } from './document-format.js';
import { DocumentStore } from './document-store.js';
import type { ExportArgs, ExportResult } from './export-job.js';
import { EXPORT_JOB, EXPORT_QUEUE, defineExportJob, pdfName } from './export-job.js';
import { CONTENT_SECURITY_POLICY, attachment, sendAsset } from './http-util.js';
import { errorPage, progressPage, uploadPage } from './pages.js';
import { DEFAULT_MAX_UPLOAD_BYTES } from './settings.js';
import { receiveUpload } from './upload.js';

/** Options of {@link mountDocumentExport}. */
export interface DocumentExportOptions {
  /** The path the host mounts the example at, for links in pages: `'/export'`, or `''` at the root. */
  basePath: string;
  /**
   * The local folder: uploads are received into `<storeDir>/tmp` and checked there; without a file
   * store it is the store too (see `document-store.ts`).
   */
  storeDir: string;
  /**
   * The file store shared with every process that runs conversions: a folder on one machine, an
   * object store across machines. Default: the Spool's `files`, else the folder `storeDir`.
   */
  files?: FileStore;
  /** Largest document accepted, in bytes. Default 5 MB. */
  maxUploadBytes?: number;
  /** Pause after each laid-out block so that progress can be watched. Default 150 ms (see `ExportJobOptions`). */
  blockDelayMs?: number;
  /**
   * How often the progress page asks for the job's state when its live stream cannot open (a proxy
   * that blocks it, an expired link). Default 500 ms.
   */
  pollIntervalMs?: number;
  /**
   * The secret that signs the progress pages' stream tokens (at least 32 bytes). Default: one made
   * at start, which is right for one web process; behind a load balancer give every web process
   * the same one (`EXPORT_STATUS_SECRET`).
   */
  statusSecret?: string;
}

/** The status API's view of a conversion. */
export interface ExportStatus {
  id: string;
  state: JobRecord['state'];
  /** 0 to 100. */
  progress: number;
  document: { fileName: string; format: DocumentFormat };
  /** The last attempt's error: why it failed, or why it is being retried. */
  error: { code: string | null; message: string } | null;
  /** When succeeded: where to download the PDF, and what it is. */
  result: { url: string; downloadName: string; bytes: number; pages: number } | null;
  createdAt: Date;
  finishedAt: Date | null;
}

const ASSETS: Record<string, string> = {
  'progress.js': 'text/javascript; charset=utf-8',
  'upload.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/**
 * Mounts the document export on a Spool: defines the conversion job on it and returns the request
 * handler of its pages and API. The host routes requests under `basePath` to `handle` (with the
 * prefix removed) and runs a Spool server on `queues`, in this process or with `spool worker`.
 *
 * - `GET /`: the upload page; `POST /exports`: the form's upload, answered with a redirect to
 * - `GET /jobs/:id`: the progress page, which offers the PDF when it is ready.
 * - `POST /api/exports` (multipart, field `document`): 202 `{ jobId, status, result, page }`.
 * - `GET /api/jobs/:id`: state and progress; `GET /api/jobs/:id/result`: the PDF.
 * - `GET /status/:id?token=`: the progress page's live stream of the job's status (server-sent
 *   events, see `createJobStatus`); `GET /status/client.js`: its browser client.
 */
export async function mountDocumentExport(spool: Spool, options: DocumentExportOptions): Promise<ExampleMount> {
  const basePath = normalizeBasePath(options.basePath);
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  if (!(Number.isInteger(maxUploadBytes) && maxUploadBytes > 0)) {
    throw new RangeError(`maxUploadBytes: expected a whole number of bytes > 0, got ${String(options.maxUploadBytes)}`);
  }
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const files = options.files ?? spool.files;
  const store = new DocumentStore(options.storeDir, files);
  await store.ensure();
  spool.define(defineExportJob({ storeDir: options.storeDir, files, blockDelayMs: options.blockDelayMs }));
  const assets = await loadAssets();
  // The progress page's live stream: the job's status, pushed, for whoever holds the page's token.
  const status = createJobStatus(spool, {
    secret: options.statusSecret ?? randomBytes(32).toString('base64url'),
    basePath: STATUS_PATH,
    // As fresh as the polling it replaces: progress is read on the server, once per open page.
    checkInterval: pollIntervalMs,
    view: (job) => JSON.parse(JSON.stringify(exportStatus(job, basePath))) as Json,
  });
  const app = { spool, store, basePath, maxUploadBytes, pollIntervalMs, assets, status };

  return {
    queues: [EXPORT_QUEUE],
    handle: (req, res) =>
      route(app, req, res).catch((error: unknown) => {
        // The API answers in JSON, the pages with a page.
        const wantsHtml = !new URL(req.url ?? '/', 'http://localhost').pathname.startsWith('/api/');
        const page = wantsHtml ? (status: number, message: string) => errorPage(basePath, status, message) : undefined;
        answerError(res, error, 'document-export', { page, policy: CONTENT_SECURITY_POLICY });
      }),
    // Requests in flight finish on their own; files are closed as each request ends.
    close: async () => undefined,
  };
}

/** Where the job status streams are, under the example's base path. */
const STATUS_PATH = '/status';

type App = {
  status: JobStatus;
  spool: Spool;
  store: DocumentStore;
  basePath: string;
  maxUploadBytes: number;
  pollIntervalMs: number;
  assets: Map<string, Buffer>;
};

async function route(app: App, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  if (path === '/') {
    allow(req, ['GET', 'HEAD']);
    return sendHtml(res, 200, uploadPage(app.basePath, app.maxUploadBytes, `http://${req.headers.host ?? 'localhost'}`), { policy: CONTENT_SECURITY_POLICY });
  }
  if (path === '/exports' || path === '/api/exports') {
    allow(req, ['POST']);
    const jobId = await upload(app, req);
    if (path === '/exports') {
      res.writeHead(303, { location: `${app.basePath}/jobs/${jobId}`, 'content-length': 0 }).end();
      return;
    }
    const status = `${app.basePath}/api/jobs/${jobId}`;
    return sendJson(res, 202, { jobId, status, result: `${status}/result`, page: `${app.basePath}/jobs/${jobId}` }, { location: status });
  }
  if (path.startsWith(`${STATUS_PATH}/`)) return app.status.handler(req, res);
  const asset = /^\/assets\/([a-z]+\.(?:js|css|svg))$/.exec(path);
  if (asset && app.assets.has(asset[1]!)) {
    allow(req, ['GET', 'HEAD']);
    return sendAsset(res, ASSETS[asset[1]!]!, app.assets.get(asset[1]!)!);
  }
  const page = /^\/jobs\/([^/]+)$/.exec(path);
  if (page) {
    allow(req, ['GET', 'HEAD']);
    const job = await findExport(app.spool, page[1]!);
    const args = job.args as ExportArgs;
    const stream = `${app.basePath}${app.status.path(job.id)}`;
    return sendHtml(res, 200, progressPage(app.basePath, { id: job.id, fileName: args.fileName, format: args.format, downloadName: pdfName(args.fileName) }, app.pollIntervalMs, stream), {
      policy: CONTENT_SECURITY_POLICY,
    });
  }
  const api = /^\/api\/jobs\/([^/]+)(\/result)?$/.exec(path);
  if (api) {
    allow(req, ['GET', 'HEAD']);
    const job = await findExport(app.spool, api[1]!);
    if (api[2]) return sendResult(app, job, req, res);
    return sendJson(res, 200, exportStatus(job, app.basePath));
  }
  throw new HttpError(404, 'not_found', `No page or API at ${path}.`);
}

/** Stores the upload and enqueues its conversion; the upload is removed again if the enqueue fails. */
async function upload(app: App, req: IncomingMessage): Promise<string> {
  const stored = await receiveUpload(req, app.store, app.maxUploadBytes);
  const args: ExportArgs = { documentId: stored.documentId, fileName: stored.fileName, format: stored.format };
  try {
    return await app.spool.enqueue(EXPORT_JOB, args);
  } catch (error) {
    await app.store.remove(app.store.uploadKey(stored.documentId, stored.format));
    throw error;
  }
}

async function findExport(spool: Spool, rawId: string): Promise<JobRecord> {
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    id = rawId;
  }
  if (!isUuid(id)) throw new HttpError(400, 'bad_request', `Expected a job id (a UUID), got ${JSON.stringify(id)}.`);
  const job = await spool.getJob(id);
  // Other examples' jobs may share the storage: this API shows only its own.
  if (!job || job.name !== EXPORT_JOB) throw new HttpError(404, 'not_found', `No export job ${id} (finished jobs are kept for a day).`);
  return job;
}

/** What the status API shows of an export job. */
export function exportStatus(job: JobRecord, basePath: string): ExportStatus {
  const args = job.args as ExportArgs;
  const result = job.state === 'succeeded' ? (job.result as ExportResult) : null;
  return {
    id: job.id,
    state: job.state,
    progress: job.state === 'succeeded' ? 100 : (job.progress ?? 0),
    document: { fileName: args.fileName, format: args.format },
    // A succeeded job keeps the error of a failed attempt before it; only show it while it matters.
    error: job.error && job.state !== 'succeeded' ? { code: job.error.code ?? null, message: job.error.message } : null,
    result: result
      ? { url: `${basePath}/api/jobs/${job.id}/result`, downloadName: result.downloadName, bytes: result.bytes, pages: result.pages }
      : null,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}

async function sendResult(app: App, job: JobRecord, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (job.state !== 'succeeded') {
    const detail = job.state === 'failed' ? `it failed: ${job.error?.message ?? 'no error recorded'}` : `it is ${job.state} (${job.progress ?? 0}%)`;
    throw new HttpError(409, 'not_ready', `The PDF of job ${job.id} is not available: ${detail}.`);
  }
  const result = job.result as ExportResult;
  // Streamed from the store (a folder or an object store), never read whole into memory.
  const file = await app.store.open(result.pdf);
  if (!file) throw new HttpError(410, 'gone', `The PDF of job ${job.id} has been deleted from the store (old exports are cleaned up). Upload the document again.`);
  res.writeHead(200, {
    'content-type': 'application/pdf',
    'content-length': file.bytes,
    'content-disposition': attachment(result.downloadName),
    'last-modified': file.modifiedAt.toUTCString(),
    'cache-control': 'private, max-age=3600',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    file.stream.destroy();
    res.end();
    return;
  }
  file.stream.on('error', () => res.destroy());
  file.stream.pipe(res);
}

async function loadAssets(): Promise<Map<string, Buffer>> {
  const dir = new URL('../public/', import.meta.url);
  const entries = await Promise.all(Object.keys(ASSETS).map(async (name) => [name, await readFile(new URL(name, dir))] as const));
  return new Map(entries);
}

/** `'/export/'` -> `'/export'`, `'/'` -> `''`. */
function normalizeBasePath(basePath: string): string {
  if (typeof basePath !== 'string' || (basePath !== '' && !basePath.startsWith('/'))) {
    throw new TypeError(`basePath: expected '' or a path starting with '/', got ${JSON.stringify(basePath)}`);
  }
  return basePath.replace(/\/+$/, '');
}
