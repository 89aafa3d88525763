import type { ServerOptions, Spool } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';
import type { DashboardOptions } from '@spool/dashboard';

/** The dashboard under a path: every dashboard option but `basePath`, which `path` gives. */
export interface SpoolDashboardMount extends Omit<DashboardOptions, 'basePath'> {
  /** Where the dashboard answers, e.g. `'/admin/spool'`: a path without a trailing slash. */
  path: string;
}

/** Options of `SpoolModule.forRoot()`, and what the factory of `forRootAsync()` returns. */
export interface SpoolModuleOptions {
  /**
   * The Spool instance, with its storage and jobs; `@SpoolJob` providers are added to its jobs. The
   * module opens its storage when the application starts and closes it when the application shuts
   * down.
   */
  spool: Spool;
  /**
   * The server that runs jobs in this process, started once every module is initialised
   * (`onApplicationBootstrap`) and stopped gracefully when the application shuts down
   * (`onModuleDestroy`); `false` runs none (servers run elsewhere, e.g. `spool worker`). Default
   * `{}`: a server with Spool's defaults, except `handleSignals: false`, because signals are Nest's
   * to handle: call `app.enableShutdownHooks()`.
   */
  server?: ServerOptions | false;
  /** The dashboard under a path, e.g. `{ path: '/admin/spool', authorize }`. Default: not mounted. */
  dashboard?: SpoolDashboardMount | false;
}

/** Module options after checks. */
export interface ResolvedSpoolModuleOptions {
  spool: Spool;
  server: ServerOptions | false;
  dashboard: SpoolDashboardMount | false;
}

/** Checks the options: unknown keys and every problem reported at once, as everywhere in Spool. */
export function resolveSpoolModuleOptions(options: SpoolModuleOptions): ResolvedSpoolModuleOptions {
  const resolved = resolveOptions<ResolvedSpoolModuleOptions>(
    {
      spool: { kind: 'any', check: (v) => (isSpool(v) ? null : 'expected a Spool instance (new Spool({ storage, jobs }))') },
      server: { kind: 'any', default: {}, check: (v) => (v === false || isPlainObject(v) ? null : 'expected server options or false') },
      dashboard: { kind: 'any', default: false, check: checkMount },
    },
    options,
    'SpoolModule options',
  );
  // Nest removes its own signal listeners before it shuts down, so a server that listened too would
  // find no other listener once stopped and end the process in the middle of Nest's shutdown.
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
  if ('basePath' in value) return 'expected path, not basePath: the module mounts the dashboard at path';
  const { path } = value;
  if (typeof path !== 'string' || !/^(\/[^/?#\s]+)+$/.test(path)) {
    return `expected path to be a path such as '/admin/spool' (a leading slash, no trailing slash), got ${JSON.stringify(path)}`;
  }
  return null;
}
