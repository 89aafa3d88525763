import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach } from 'vitest';

import { ManualClock, MemoryStorage, Spool } from '@spool/core';
import type { DashboardHandler } from '@spool/dashboard';
import { createDashboard } from '@spool/dashboard';

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

/**
 * A dashboard with these options over a memory storage on a manual clock, served on a free port;
 * each test's dashboards close after it.
 */
export function useMemoryDashboard(): (options: Parameters<typeof createDashboard>[1]) => Promise<{ spool: Spool; clock: ManualClock; url: string; port: number }> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  return async (options) => {
    const clock = new ManualClock();
    const spool = new Spool({ storage: new MemoryStorage({ clock }) }, { clock });
    const server = await listen(createDashboard(spool, options));
    cleanups.push(async () => {
      await server.close();
      await spool.close();
    });
    return { spool, clock, url: server.url, port: server.port };
  };
}
