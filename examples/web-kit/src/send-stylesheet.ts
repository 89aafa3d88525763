import type { ServerResponse } from 'node:http';

import { SECURITY_HEADERS } from './security-headers.js';

/** Sends the pages' stylesheet; a browser may keep it for a few minutes. */
export function sendStylesheet(res: ServerResponse, css: string): void {
  res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'content-length': Buffer.byteLength(css), 'cache-control': 'max-age=300', ...SECURITY_HEADERS });
  res.end(css);
}
