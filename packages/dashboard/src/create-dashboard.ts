import type { ServerResponse } from 'node:http';

import type { Spool } from '@spool/core';

import type { AuthorizeAnswer, AuthorizeDenial, DashboardOptions, DashboardRequest } from './dashboard-options.js';
import { resolveDashboardOptions } from './dashboard-options.js';
import { handleAction } from './action-routes.js';
import { handleApi } from './api-routes.js';
import { serveLiveStream } from './live/live-route.js';
import { send, sendHtml } from './http-io.js';
import { messagePage } from './pages/system-pages.js';
import { layout } from './pages/layout.js';
import { handlePage } from './page-routes.js';
import { isAllowedHost, isLoopback } from './security.js';
import { DashboardState } from './dashboard-state.js';

/** The dashboard: a Node request handler, node:http's `(req, res)` and Express's `(req, res, next)`. */
export interface DashboardHandler {
  (req: DashboardRequest, res: ServerResponse, next?: (error?: unknown) => void): void;
  /**
   * Ends the open pages' live streams and opens no new ones (pages poll instead); pages, the API and
   * actions are still answered. Call it when the application shuts down: a live stream lasts as
   * long as its page, so an HTTP server's `close()` would otherwise wait for every open tab.
   */
  closeStreams(): void;
}

/**
 * Creates the dashboard: one Node request handler serving the pages, the JSON API, the assets and
 * the actions. It reads through the storage's monitoring read model and changes state only through
 * the client, so it works on every storage.
 *
 * ```ts
 * app.use('/spool', createDashboard(spool, { authorize: (req) => isAdmin(req) }));
 * ```
 */
export function createDashboard(spool: Spool, options?: DashboardOptions): DashboardHandler {
  const state = new DashboardState(spool, resolveDashboardOptions(options));

  const handler = (req: DashboardRequest, res: ServerResponse, next?: (error?: unknown) => void): void => {
    handle(state, req, res, next).catch((error: unknown) => {
      if (next) return next(error);
      // The client learns nothing of the error: it may hold connection strings or secrets.
      state.options.onError(error);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Spool dashboard: internal error.');
      else res.destroy();
    });
  };
  return Object.assign(handler, { closeStreams: () => state.closeStreams() });
}

/** The mount path and the path inside the dashboard, or null when the request is not for it. */
function locate(state: DashboardState, req: DashboardRequest): { base: string; path: string; query: URLSearchParams } | null {
  const configured = state.options.basePath;
  let base: string;
  let rest: string;
  if (configured !== undefined) {
    const full = req.originalUrl ?? req.url ?? '/';
    const [pathname] = full.split('?') as [string];
    if (pathname !== configured && !pathname.startsWith(`${configured}/`)) return null;
    base = configured;
    rest = full.slice(configured.length);
  } else {
    base = (req.baseUrl ?? '').replace(/\/$/, '');
    rest = req.url ?? '/';
  }
  // Appended, not resolved: a path such as `//x` must stay a path, not become a host name.
  const url = new URL(`http://dashboard.invalid${rest.startsWith('/') ? rest : `/${rest}`}`);
  return { base, path: url.pathname, query: url.searchParams };
}

/**
 * `{ operator }` when the request may go on (the name `authorize` gave, else null); else how to
 * refuse it. A throwing hook refuses with a plain 500.
 */
async function authorization(state: DashboardState, req: DashboardRequest): Promise<AuthorizeDenial | { status: 500 } | { operator: string | null }> {
  const { authorize, onError } = state.options;
  if (!authorize) return isLoopback(req.socket?.remoteAddress) ? { operator: null } : { status: 403 };
  let answer: AuthorizeAnswer;
  try {
    answer = await authorize(req);
  } catch (error) {
    onError(error);
    return { status: 500 };
  }
  if (answer === true) return { operator: null };
  if (answer === false || typeof answer !== 'object' || answer === null) return { status: 403 };
  if ('operator' in answer) return { operator: typeof answer.operator === 'string' && answer.operator !== '' ? answer.operator : null };
  return answer;
}

function refusalText(status: 401 | 403 | 500, authorizeGiven: boolean): string {
  switch (status) {
    case 401:
      return 'Unauthorized';
    case 403:
      return authorizeGiven ? 'Forbidden' : 'Forbidden: the Spool dashboard answers only local requests unless an authorize option is given.';
    case 500:
      return 'Spool dashboard: internal error.';
    default: {
      const never: never = status;
      return never;
    }
  }
}

function header(req: DashboardRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function handle(state: DashboardState, req: DashboardRequest, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
  const where = locate(state, req);
  if (!where) {
    if (next) return next();
    return send(res, 404, 'text/plain; charset=utf-8', 'Not found');
  }
  const { options } = state;
  if (!isAllowedHost(header(req, 'host'), options.allowedHosts)) {
    return send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: the Spool dashboard does not answer to this host name. Add it to the allowedHosts option.');
  }
  const denied = await authorization(state, req);
  if (!('operator' in denied)) {
    if ('redirect' in denied) return send(res, 303, 'text/plain; charset=utf-8', '', { Location: denied.redirect });
    return send(res, denied.status, 'text/plain; charset=utf-8', refusalText(denied.status, options.authorize !== undefined), 'headers' in denied ? denied.headers : undefined);
  }
  const { path, base, query } = where;
  if (path === '') return send(res, 308, 'text/plain; charset=utf-8', '', { Location: `${base}/` });
  const { script, style } = state.assets;
  for (const asset of [script, style]) {
    if (path === asset.path) {
      if (req.headers['if-none-match'] === asset.etag) return send(res, 304, asset.type, '', { ETag: asset.etag, 'Cache-Control': 'public, max-age=31536000, immutable' });
      return send(res, 200, asset.type, asset.body, { ETag: asset.etag, 'Cache-Control': 'public, max-age=31536000, immutable' });
    }
  }
  if (path === '/api/live' && req.method === 'GET') return serveLiveStream(state, req, res, query);
  if (path.startsWith('/api/')) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed', { Allow: 'GET' });
    return handleApi(state, path, query, res);
  }
  // Who acts, for the audit log: the operator authorize named, else where the request came from.
  if (req.method === 'POST') return handleAction(state, req, res, base, path, denied.operator ?? req.socket?.remoteAddress ?? 'unknown');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed', { Allow: 'GET, POST' });
  const handled = await handlePage(state, req, res, base, path, query);
  if (!handled) {
    const ctx = await state.pageContext(base, path, query);
    sendHtml(res, 404, layout(ctx, { title: 'Not found', section: 'overview', content: messagePage('Not found', 'There is no dashboard page at this address.'), live: 'static' }));
  }
}
