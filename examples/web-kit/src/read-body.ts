import type { IncomingMessage } from 'node:http';

import { HttpError } from './http-error.js';

/** Largest request body read by default: 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Options of {@link readJsonBody} and {@link readFormBody}. */
export interface ReadBodyOptions {
  /** Largest body read, in bytes; a larger one is HttpError 413. Default {@link MAX_BODY_BYTES}. */
  maxBytes?: number;
}

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions extends ReadBodyOptions {
  /** The 400 message for an empty body, e.g. with an example of what to send. */
  emptyMessage?: string;
}

/** Reads a request body as text: HttpError 413 as soon as it is over `maxBytes`. */
export async function readBodyText(req: IncomingMessage, options: ReadBodyOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, 'body_too_large', `The request body is over ${maxBytes} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a request body as JSON: HttpError 400 when it is empty or not JSON, 413 when it is too large. */
export async function readJsonBody(req: IncomingMessage, options: ReadJsonBodyOptions = {}): Promise<unknown> {
  const text = await readBodyText(req, options);
  if (text.trim() === '') throw new HttpError(400, 'bad_request', options.emptyMessage ?? 'Expected a JSON body.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'bad_request', 'The request body is not valid JSON.');
  }
}

/** Reads an HTML form's body (`application/x-www-form-urlencoded`): HttpError 413 when it is too large. */
export async function readFormBody(req: IncomingMessage, options: ReadBodyOptions = {}): Promise<URLSearchParams> {
  return new URLSearchParams(await readBodyText(req, options));
}

/** Whether a request's body is an HTML form (`application/x-www-form-urlencoded`). */
export function isFormBody(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

/**
 * Reads a request body as an object: an HTML form's fields, or a JSON object. HttpError 400 when it
 * is neither, 413 when it is too large. For routes that both a form and a script post to.
 */
export async function readObjectBody(req: IncomingMessage, options: ReadBodyOptions = {}): Promise<Record<string, unknown>> {
  if (isFormBody(req)) return Object.fromEntries(await readFormBody(req, options));
  const body = await readJsonBody(req, options);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'Expected a JSON object.');
  return body as Record<string, unknown>;
}
