import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';

import type { Server, Spool } from '@spool/core';
import { ConfigError } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { closeOnSignals } from './close-on-signals.js';
import type { SpoolHonoOptions } from './spool-hono-options.js';
import { resolveSpoolHonoOptions } from './spool-hono-options.js';

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

/** What `close()` needs of an HTTP server: what @hono/node-server's `serve()` returns has it. */
export interface ClosableHttpServer {
  close(callback?: (error?: Error) => void): unknown;
}

/** Spool running beside a Hono app: the middleware to use, the client, the server, and how to stop. */
export interface SpoolHono {
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

  let closing: Promise<void> | undefined;
  let removeSignalListeners = (): void => undefined;
  const close = (httpServer?: ClosableHttpServer): Promise<void> => {
    closing ??= (async () => {
      removeSignalListeners();
      mount?.handler.closeStreams();
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
    middleware,
    close,
    closeOnSignals(httpServer) {
      removeSignalListeners();
      removeSignalListeners = closeOnSignals(() => close(httpServer), (error) => console.error('Spool: closing on a signal failed', error));
    },
  };
}

function withoutPath<T extends { path: string }>(mount: T): Omit<T, 'path'> {
  const { path: _path, ...rest } = mount;
  return rest;
}

function isUnder(requestPath: string, path: string): boolean {
  return requestPath === path || requestPath.startsWith(`${path}/`);
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
