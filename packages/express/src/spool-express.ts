import type { Router } from 'express';
import express from 'express';

import type { Server, Spool } from '@spool/core';
import { ConfigError } from '@spool/core';
import { createDashboard } from '@spool/dashboard';
import type { GracefulClose } from '@spool/dashboard/integration-kit';
import { gracefulClose } from '@spool/dashboard/integration-kit';

import type { SpoolExpressOptions } from './spool-express-options.js';
import { resolveSpoolExpressOptions } from './spool-express-options.js';

export type { ClosableHttpServer } from '@spool/dashboard/integration-kit';

/** Spool running beside an Express app: the router to mount, the client, the server, and how to stop. */
export interface SpoolExpress extends GracefulClose {
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

  const shutdown = gracefulClose(spool, handler, () => {
    server = null;
  });

  return {
    spool,
    get server() {
      return server;
    },
    router,
    close: shutdown.close,
    closeOnSignals: shutdown.closeOnSignals,
  };
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
