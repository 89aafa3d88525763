import type { ServerResponse } from 'node:http';

import { SECURITY_HEADERS } from './security-headers.js';

/**
 * The pages' default Content-Security-Policy: their own stylesheet and nothing else (no script, no
 * inline style, no frames), forms posting only to the app.
 */
export const PAGE_POLICY = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'";

/** Options of {@link sendHtml}. */
export interface SendHtmlOptions {
  /** The page's Content-Security-Policy. Default {@link PAGE_POLICY}. */
  policy?: string;
  /** Extra response headers, e.g. `Allow` on a 405 page. */
  headers?: Record<string, string>;
}

/** Sends an HTML page that is never cached, under a strict Content-Security-Policy. */
export function sendHtml(res: ServerResponse, status: number, page: string, options: SendHtmlOptions = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(page),
    'content-security-policy': options.policy ?? PAGE_POLICY,
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...options.headers,
  });
  res.end(page);
}
