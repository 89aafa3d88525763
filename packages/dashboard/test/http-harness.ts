import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { DashboardHandler } from '@spool/dashboard';

/** A node:http server around a dashboard handler on a free port. */
export async function listen(handler: DashboardHandler, host = '127.0.0.1'): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The CSRF token a page carries in its meta tag. */
export function csrfOf(page: string): string {
  const match = /<meta name="spool-csrf" content="([^"]+)">/.exec(page);
  if (!match) throw new Error('the page has no CSRF token');
  return match[1]!;
}

/** Posts a urlencoded form without following the redirect. */
export function post(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  return fetch(url, { method: 'POST', body, redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });
}
