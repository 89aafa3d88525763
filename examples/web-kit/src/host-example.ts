import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';

import type { Spool } from 'spool';

import type { ExampleMount } from './example-mount.js';
import type { ListenOptions } from './listen-http.js';
import { listenHttp } from './listen-http.js';

/** Options of {@link hostExample}. */
export interface HostExampleOptions extends ListenOptions {
  /** Where to serve the Spool dashboard, e.g. `'/spool'`; null or left out for none. */
  dashboardPath?: string | null;
  /** How long `close()` waits for requests in flight before it cuts their connections, in ms. Default 5000. */
  closeGraceMs?: number;
}

/** An example served on its own HTTP server. */
export interface HostedExample {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  http: HttpServer;
  /**
   * Stops taking connections, closes the mount (what it holds, e.g. a queue in memory, is let go
   * while requests in flight finish), waits for those requests (bounded), then closes the Spool,
   * which stops its servers gracefully and closes the storage. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Serves one example on its own: the mount at `/` of a node:http server and, with `dashboardPath`,
 * the Spool dashboard there.
 */
export async function hostExample(spool: Spool, mount: ExampleMount, options: HostExampleOptions = {}): Promise<HostedExample> {
  const dashboardPath = options.dashboardPath ?? null;
  const dashboard = dashboardPath === null ? null : spool.dashboard({ basePath: dashboardPath });
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (dashboard && (path === dashboardPath || path.startsWith(`${dashboardPath}/`))) return dashboard(req, res);
    void mount.handle(req, res);
  });
  const url = await listenHttp(http, options);
  const graceMs = options.closeGraceMs ?? 5000;
  let closing: Promise<void> | null = null;
  return {
    url,
    http,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        await mount.close();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        http.closeAllConnections();
        await stopped;
        await spool.close();
      })();
      return closing;
    },
  };
}
