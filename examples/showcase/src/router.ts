import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request handler that sees the URL with its mount prefix removed. */
export type MountedHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** One example mounted under a path prefix. */
export interface Route {
  prefix: string;
  handle: MountedHandler;
}

/**
 * The longest prefix that matches the path, as `app.use(prefix, handler)` would pick it: `/export`
 * matches `/export` and `/export/...`, never `/exports`.
 */
export function findRoute(routes: readonly Route[], path: string): Route | undefined {
  let best: Route | undefined;
  for (const route of routes) {
    const matches = path === route.prefix || path.startsWith(`${route.prefix}/`);
    if (matches && (best === undefined || route.prefix.length > best.prefix.length)) best = route;
  }
  return best;
}

/** Calls the route's handler with the prefix removed from `req.url`, the way Express's `app.use` mounts a sub-app. */
export function dispatch(route: Route, req: IncomingMessage, res: ServerResponse): void | Promise<void> {
  const rest = (req.url ?? '/').slice(route.prefix.length);
  req.url = rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
  return route.handle(req, res);
}
