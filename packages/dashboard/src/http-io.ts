import type { ServerResponse } from 'node:http';

import type { DashboardRequest } from './dashboard-options.js';
import type { SafeHtml } from './html.js';
import { SECURITY_HEADERS } from './security.js';

/** Largest form body accepted (a bulk selection of a few hundred ids fits easily). */
const MAX_BODY_BYTES = 256 * 1024;

/** Sends a response with the security headers and no caching (pages show live data). */
export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** Sends an HTML page. */
export function sendHtml(res: ServerResponse, status: number, page: SafeHtml): void {
  send(res, status, 'text/html; charset=utf-8', page.value);
}

/** Sends JSON. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** Redirects after a POST (303: the browser follows with a GET). */
export function redirect(res: ServerResponse, location: string): void {
  send(res, 303, 'text/plain; charset=utf-8', '', { Location: location });
}

/** A parsed form: every field as a list of values. */
export type Form = Map<string, string[]>;

/** The first value of a form field. */
export function field(form: Form, name: string): string | undefined {
  return form.get(name)?.[0];
}

/**
 * Reads a urlencoded form body. A body already read by the host framework (`req.body`, as a string
 * or a parsed object) is used as it is.
 */
export async function readForm(req: DashboardRequest): Promise<Form> {
  const form: Form = new Map();
  const add = (key: string, value: string): void => {
    form.set(key, [...(form.get(key) ?? []), value]);
  };
  const given = req.body;
  if (typeof given === 'object' && given !== null && !Buffer.isBuffer(given)) {
    for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') add(key, v);
    }
    return form;
  }
  let text: string;
  if (typeof given === 'string' || Buffer.isBuffer(given)) text = given.toString();
  else {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new Error('form body too large');
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
  }
  for (const [key, value] of new URLSearchParams(text)) add(key, value);
  return form;
}
