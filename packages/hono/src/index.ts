/**
 * @spool/hono: Spool for Hono on Node.js (@hono/node-server). `spoolHono()` starts Spool beside the
 * app and returns a middleware that sets `c.var.spool` and serves the dashboard under a path, and a
 * `close()` that stops everything gracefully at shutdown.
 */
export { spoolHono } from './spool-hono.js';
export type { SpoolHono, SpoolEnv, SpoolVariables, ClosableHttpServer } from './spool-hono.js';
export type { SpoolHonoOptions, SpoolDashboardMount } from './spool-hono-options.js';
