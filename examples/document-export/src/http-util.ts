import type { ServerResponse } from 'node:http';

import { SECURITY_HEADERS } from '@spool-examples/web-kit';

/**
 * The page's Content-Security-Policy: scripts and styles only from the app's own files, no inline
 * code, requests only to the app. Whatever a document's name holds, it cannot run in the page.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Sends a static file's contents. */
export function sendAsset(res: ServerResponse, contentType: string, body: Buffer): void {
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    ...SECURITY_HEADERS,
  });
  res.end(body);
}

/**
 * A `Content-Disposition: attachment` value for any file name: an ASCII fallback, and the exact
 * name in RFC 5987 form for clients that read it.
 */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Formats a byte count for people: 5 MB, 512 KB, 900 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KB`;
  return `${bytes} bytes`;
}
