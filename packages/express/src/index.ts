/**
 * @spool/express: Spool for Express. `spoolExpress()` starts Spool beside the app and returns a
 * router that puts the client in `req.app.locals.spool` and serves the dashboard under a path, and a
 * `close()` that stops everything gracefully at shutdown.
 */
export { spoolExpress, spoolOf } from './spool-express.js';
export type { SpoolExpress, ClosableHttpServer } from './spool-express.js';
export type { SpoolExpressOptions, SpoolDashboardMount } from './spool-express-options.js';
