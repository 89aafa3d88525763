import type { IncomingMessage, ServerResponse } from 'node:http';

import { PAGE_POLICY } from './page-style.js';

/** Largest request body read. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An error answered with its status and a JSON body `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `Allow` for 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Sends a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Sends an HTML page under the pages' policy, which lets it load its own stylesheet and nothing else. */
export function sendHtml(res: ServerResponse, status: number, page: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(page),
    'content-security-policy': PAGE_POLICY,
    'cache-control': 'no-store',
  });
  res.end(page);
}

/** Sends the pages' stylesheet; a browser may keep it for a few minutes. */
export function sendStylesheet(res: ServerResponse, css: string): void {
  res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'content-length': Buffer.byteLength(css), 'cache-control': 'max-age=300' });
  res.end(css);
}

/** Escapes text for HTML. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Reads a request body as an object: JSON, or an HTML form (`application/x-www-form-urlencoded`).
 * HttpError 400 when it is neither, 413 when it is too large.
 */
export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', `The request body is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_request', 'The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'Expected a JSON object.');
  return body as Record<string, unknown>;
}

/** Refuses a request whose method is not one of `methods` with 405. */
export function allow(req: IncomingMessage, methods: readonly string[]): void {
  if (!methods.includes(req.method ?? 'GET')) {
    throw new HttpError(405, 'method_not_allowed', `Use ${methods.join(' or ')} here.`, { allow: methods.join(', ') });
  }
}

/** Answers an error thrown by a handler: its own status for HttpError, 500 otherwise. */
export function answerError(res: ServerResponse, error: unknown, where: string): void {
  if (error instanceof HttpError) {
    sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
    return;
  }
  console.error(`${where}: request failed:`, error);
  if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'The request failed; see the server log.' } });
  else res.destroy();
}
