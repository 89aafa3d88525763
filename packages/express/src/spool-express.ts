import type { Router } from 'express';
import express from 'express';

import type { Server, Spool } from '@spool/core';
import { ConfigError } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { closeOnSignals } from './close-on-signals.js';
import type { SpoolExpressOptions } from './spool-express-options.js';
import { resolveSpoolExpressOptions } from './spool-express-options.js';

/** Spool running beside an Express app: the router to mount, the client, the server, and how to stop. */
export interface SpoolExpress {
  /** The Spool client, also in `req.app.locals.spool` and `res.locals.spool` of requests that passed the router. */
  readonly spool: Spool;
  /** The server running this process's jobs; null with `server: false` or once closed. */
  readonly server: Server | null;
  /**
   * Mount it with `app.use(router)`, before the routes that enqueue: it puts the client in
   * `req.app.locals.spool` and `res.locals.spool`, and serves the dashboard at its path. It may be
   * mounted under a path of its own (`app.use('/ops', router)`); the dashboard then answers under both.
   */
  readonly router: Router;
  /**
   * Stops gracefully, once (later calls return the same promise): ends the dashboard's live
   * streams; when given the HTTP server, stops it accepting connections and waits for the requests
   * in progress; then stops the server (running jobs finish within its `shutdownTimeout`, the rest
   * return to the queue) and closes the storage.
   */
  close(httpServer?: ClosableHttpServer): Promise<void>;
  /**
   * On SIGTERM and SIGINT, runs `close(httpServer)`, then lets the signal end the process when
   * nothing else listens for it. Call it once the HTTP server exists; `close()` removes the listeners.
   */
  closeOnSignals(httpServer?: ClosableHttpServer): void;
}

/** What `close()` needs of an HTTP server: node:http's, node:https's and node:http2's servers have it. */
export interface ClosableHttpServer {
  close(callback?: (error?: Error) => void): unknown;
}

/**
 * Starts Spool for an Express app: opens the storage, starts a server (unless `server: false`) and
 * returns a router with the client and the dashboard, and the `close()` to call at shutdown.
 *
 * ```ts
 * const jobs = await spoolExpress({ spool, dashboard: { path: '/admin/spool' } });
 * app.use(jobs.router);
 * const http = app.listen(3000);
 * jobs.closeOnSignals(http);
 * ```
 */
export async function spoolExpress(options: SpoolExpressOptions): Promise<SpoolExpress> {
  const { spool, server: serverOptions, dashboard } = resolveSpoolExpressOptions(options);
  await spool.init();
  let server = serverOptions === false ? null : await spool.startServer(serverOptions);

  const router = express.Router();
  router.use((req, res, next) => {
    req.app.locals.spool = spool;
    res.locals.spool = spool;
    next();
  });
  let handler: ReturnType<typeof createDashboard> | null = null;
  if (dashboard !== false) {
    const { path, ...dashboardOptions } = dashboard;
    // No basePath: the dashboard reads its mount path from Express (`req.baseUrl`), so the router
    // itself may be mounted under a path.
    handler = createDashboard(spool, dashboardOptions);
    router.use(path, handler);
  }

  let closing: Promise<void> | undefined;
  let removeSignalListeners = (): void => undefined;
  const close = (httpServer?: ClosableHttpServer): Promise<void> => {
    closing ??= (async () => {
      removeSignalListeners();
      handler?.closeStreams();
      if (httpServer) await closeHttp(httpServer);
      await spool.close();
      server = null;
    })();
    return closing;
  };

  return {
    spool,
    get server() {
      return server;
    },
    router,
    close,
    closeOnSignals(httpServer) {
      removeSignalListeners();
      removeSignalListeners = closeOnSignals(() => close(httpServer), (error) => console.error('Spool: closing on a signal failed', error));
    },
  };
}

/** Stops accepting connections and waits for the open ones to finish (idle keep-alive ones are closed). */
function closeHttp(httpServer: ClosableHttpServer): Promise<void> {
  return new Promise((resolve, reject) => {
    httpServer.close((error?: Error & { code?: string }) => {
      // A server that was never listening, or is closed already, has nothing left to wait for.
      if (error && error.code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
  });
}

/**
 * The Spool client of a request that passed {@link SpoolExpress.router}; throws when the router is
 * not mounted before the route.
 */
export function spoolOf(req: { app: { locals: Record<string, unknown> } }): Spool {
  const spool = req.app.locals.spool as Spool | undefined;
  if (spool === undefined) {
    throw new ConfigError([{ path: 'app.locals.spool', message: 'is not set: mount the router of spoolExpress() with app.use(jobs.router) before the routes that use the client' }]);
  }
  return spool;
}
