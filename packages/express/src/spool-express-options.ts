import type { ServerOptions, Spool } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';
import type { DashboardOptions } from '@spool/dashboard';

/** The dashboard under a path: every dashboard option but `basePath`, which `path` gives. */
export interface SpoolDashboardMount extends Omit<DashboardOptions, 'basePath'> {
  /** Where the dashboard answers, e.g. `'/admin/spool'`: a path without a trailing slash. */
  path: string;
}

/** Options of {@link spoolExpress}. */
export interface SpoolExpressOptions {
  /**
   * The Spool instance, with its storage and jobs. `spoolExpress()` opens its storage, and `close()`
   * closes the instance (its servers, then its storage).
   */
  spool: Spool;
  /**
   * The server that runs jobs in this process, started by `spoolExpress()` and stopped gracefully by
   * `close()`; `false` runs none (servers run elsewhere, e.g. `spool worker`). Default `{}`: a
   * server with Spool's defaults, except `handleSignals: false`: a signal should close the whole
   * application, and the server with it (see `closeOnSignals`).
   */
  server?: ServerOptions | false;
  /** The dashboard under a path, e.g. `{ path: '/admin/spool', authorize }`. Default: not mounted. */
  dashboard?: SpoolDashboardMount | false;
}

/** Plugin options after checks. */
export interface ResolvedSpoolExpressOptions {
  spool: Spool;
  server: ServerOptions | false;
  dashboard: SpoolDashboardMount | false;
}

/** Checks the options: unknown keys and every problem reported at once, as everywhere in Spool. */
export function resolveSpoolExpressOptions(options: SpoolExpressOptions): ResolvedSpoolExpressOptions {
  const resolved = resolveOptions<ResolvedSpoolExpressOptions>(
    {
      spool: { kind: 'any', check: (v) => (isSpool(v) ? null : 'expected a Spool instance (new Spool({ storage, jobs }))') },
      server: { kind: 'any', default: {}, check: (v) => (v === false || isPlainObject(v) ? null : 'expected server options or false') },
      dashboard: { kind: 'any', default: false, check: checkMount },
    },
    options,
    '@spool/express options',
  );
  return resolved.server === false ? resolved : { ...resolved, server: { handleSignals: false, ...resolved.server } };
}

function isSpool(value: unknown): value is Spool {
  const candidate = value as Partial<Record<'enqueue' | 'startServer' | 'close' | 'init', unknown>> | null;
  return typeof candidate === 'object' && candidate !== null && ['enqueue', 'startServer', 'close', 'init'].every((key) => typeof candidate[key as 'init'] === 'function');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkMount(value: unknown): string | null {
  if (value === false) return null;
  if (!isPlainObject(value)) return "expected { path: '/admin/spool', ...dashboard options } or false";
  if ('basePath' in value) return 'expected path, not basePath: the router mounts the dashboard at path';
  const { path } = value;
  if (typeof path !== 'string' || !/^(\/[^/?#\s]+)+$/.test(path)) {
    return `expected path to be a path such as '/admin/spool' (a leading slash, no trailing slash), got ${JSON.stringify(path)}`;
  }
  return null;
}
