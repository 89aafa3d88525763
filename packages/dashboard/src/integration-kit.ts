/**
 * `@spool/dashboard/integration-kit`: what a framework integration (Fastify, Express, Hono, NestJS)
 * shares: its options' checks and the dashboard's mount, the graceful shutdown beside an HTTP server,
 * and closing the whole application on SIGTERM and SIGINT. Not for applications.
 */
export { resolveIntegrationOptions } from './integrations/integration-options.js';
export type { IntegrationOptions, IntegrationOptionsSpec, ResolvedIntegrationOptions, SpoolDashboardMount } from './integrations/integration-options.js';
export { gracefulClose } from './integrations/graceful-close.js';
export type { ClosableHttpServer, GracefulClose } from './integrations/graceful-close.js';
export { closeOnSignals } from './integrations/close-on-signals.js';
