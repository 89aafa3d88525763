import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';

import type { Server, Spool } from '@spool/core';
import { ConfigError } from '@spool/core';
import { createDashboard } from '@spool/dashboard';
import type { GracefulClose } from '@spool/dashboard/integration-kit';
import { gracefulClose } from '@spool/dashboard/integration-kit';

import type { SpoolHonoOptions } from './spool-hono-options.js';
import { resolveSpoolHonoOptions } from './spool-hono-options.js';

export type { ClosableHttpServer } from '@spool/dashboard/integration-kit';

/** The context variables the middleware sets: `c.var.spool`. */
export interface SpoolVariables {
  /** The Spool client. */
  spool: Spool;
}

/** The environment of an app that uses the middleware on @hono/node-server: `new Hono<SpoolEnv>()`. */
export interface SpoolEnv {
  Bindings: HttpBindings;
  Variables: SpoolVariables;
}

/** Spool running beside a Hono app: the middleware to use, the client, the server, and how to stop. */
export interface SpoolHono extends GracefulClose {
  /** The Spool client, also `c.var.spool` in handlers after the middleware. */
  readonly spool: Spool;
  /** The server running this process's jobs; null with `server: false` or once closed. */
  readonly server: Server | null;
  /**
   * `app.use(jobs.middleware)`, before the routes that enqueue: sets `c.var.spool`, and answers
   * requests under the dashboard's path with the dashboard (on @hono/node-server, whose Node
   * request and response the dashboard writes to).
   */
  readonly middleware: MiddlewareHandler<SpoolEnv>;
}

/**
 * Starts Spool for a Hono app on Node.js: opens the storage, starts a server (unless
 * `server: false`) and returns the middleware with the client and the dashboard, and the `close()`
 * to call at shutdown.
 *
 * ```ts
 * const jobs = await spoolHono({ spool, dashboard: { path: '/admin/spool' } });
 * const app = new Hono<SpoolEnv>().use(jobs.middleware);
 * const http = serve({ fetch: app.fetch, port: 3000 });
 * jobs.closeOnSignals(http);
 * ```
 */
export async function spoolHono(options: SpoolHonoOptions): Promise<SpoolHono> {
  const { spool, server: serverOptions, dashboard } = resolveSpoolHonoOptions(options);
  await spool.init();
  let server = serverOptions === false ? null : await spool.startServer(serverOptions);

  const mount = dashboard === false ? null : { path: dashboard.path, handler: createDashboard(spool, { ...withoutPath(dashboard), basePath: dashboard.path }) };
  const middleware = createMiddleware<SpoolEnv>(async (c, next) => {
    c.set('spool', spool);
    if (mount && isUnder(c.req.path, mount.path)) {
      const { incoming, outgoing } = c.env ?? {};
      if (!incoming || !outgoing) {
        throw new ConfigError([{ path: 'c.env.incoming', message: 'is missing: the Spool dashboard answers on Node.js only, served by @hono/node-server' }]);
      }
      mount.handler(incoming, outgoing);
      return RESPONSE_ALREADY_SENT;
    }
    await next();
  });

  const shutdown = gracefulClose(spool, mount?.handler ?? null, () => {
    server = null;
  });

  return {
    spool,
    get server() {
      return server;
    },
    middleware,
    close: shutdown.close,
    closeOnSignals: shutdown.closeOnSignals,
  };
}

function withoutPath<T extends { path: string }>(mount: T): Omit<T, 'path'> {
  const { path: _path, ...rest } = mount;
  return rest;
}

function isUnder(requestPath: string, path: string): boolean {
  return requestPath === path || requestPath.startsWith(`${path}/`);
}
