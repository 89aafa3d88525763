/**
 * @spool/fastify: Spool for Fastify. A plugin that decorates the app with the client
 * (`fastify.spool`), runs a server with the app's lifecycle (started when ready, stopped gracefully
 * on close) and mounts the dashboard under a path.
 */
import { spoolPlugin } from './spool-plugin.js';

export { spoolPlugin };
export type { SpoolFastifyOptions, SpoolDashboardMount } from './spool-fastify-options.js';
export default spoolPlugin;
