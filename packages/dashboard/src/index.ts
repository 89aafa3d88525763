/**
 * @spool/dashboard: Spool's web dashboard. One Node request handler (node:http, Express, Fastify,
 * Hono) that shows every job, lets an operator act on it, updates live, and is safe by default:
 * local requests only, CSRF-protected actions, escaped output, a strict Content Security Policy.
 */
export { createDashboard } from './create-dashboard.js';
export type { DashboardHandler } from './create-dashboard.js';
export type { AuthorizeAnswer, AuthorizeDenial, AuthorizeOperator, DashboardOptions, DashboardRequest, ResolvedDashboardOptions } from './dashboard-options.js';
export { serveDashboard } from './serve-dashboard.js';
export type { ServeDashboardOptions, RunningDashboard } from './serve-dashboard.js';
export { describeCron } from './cron-description.js';
export { createJobStatus, defaultJobStatusView } from './job-status/create-job-status.js';
export type { JobStatus, JobStatusOptions, JobStatusRuntime } from './job-status/create-job-status.js';
export { JobStatusTokenError } from './job-status/job-status-token.js';
export type { JobStatusTokenProblem } from './job-status/job-status-token.js';
export { CONTENT_SECURITY_POLICY, hostNameOf, isAllowedHost, isLoopback } from './security.js';
export { escapeHtml, html, raw, SafeHtml } from './html.js';
