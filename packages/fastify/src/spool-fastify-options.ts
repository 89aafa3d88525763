import type { ServerOptions, Spool } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';
import type { DashboardOptions } from '@spool/dashboard';

/** The dashboard under a path: every dashboard option but `basePath`, which `path` gives. */
export interface SpoolDashboardMount extends Omit<DashboardOptions, 'basePath'> {
  /** Where the dashboard answers, e.g. `'/admin/spool'`: a path without a trailing slash. */
  path: string;
}

/** Options of the Fastify plugin. */
export interface SpoolFastifyOptions {
  /**
   * The Spool instance, with its storage and jobs. The plugin opens its storage when the app is
   * ready and closes the instance (its servers, then its storage) when the app closes.
   */
  spool: Spool;
  /**
   * The server that runs jobs in this process, started when the app is ready and stopped gracefully
   * when it closes; `false` runs none (servers run elsewhere, e.g. `spool worker`). Default `{}`: a
   * server with Spool's defaults, except `handleSignals: false`: a signal should close the whole
   * application, and the server with it (see `closeOnSignals`).
   */
  server?: ServerOptions | false;
  /** The dashboard under a path, e.g. `{ path: '/admin/spool', authorize }`. Default: not mounted. */
  dashboard?: SpoolDashboardMount | false;
  /**
   * Closes the app on SIGTERM and SIGINT (`app.close()`: HTTP, then the server gracefully, then the
   * storage), then lets the signal end the process when nothing else listens for it. `false` when
   * the app closes itself on signals already (e.g. with `close-with-grace`). Default true.
   */
  closeOnSignals?: boolean;
}

/** Plugin options after checks. */
export interface ResolvedSpoolFastifyOptions {
  spool: Spool;
  server: ServerOptions | false;
  dashboard: SpoolDashboardMount | false;
  closeOnSignals: boolean;
}

/** Checks the plugin's options: unknown keys and every problem reported at once, as everywhere in Spool. */
export function resolveSpoolFastifyOptions(options: SpoolFastifyOptions): ResolvedSpoolFastifyOptions {
  const resolved = resolveOptions<ResolvedSpoolFastifyOptions>(
    {
      spool: { kind: 'any', check: (v) => (isSpool(v) ? null : 'expected a Spool instance (new Spool({ storage, jobs }))') },
      server: { kind: 'any', default: {}, check: (v) => (v === false || isPlainObject(v) ? null : 'expected server options or false') },
      dashboard: { kind: 'any', default: false, check: checkMount },
      closeOnSignals: { kind: 'boolean', default: true },
    },
    options,
    '@spool/fastify options',
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
  if ('basePath' in value) return 'expected path, not basePath: the plugin mounts the dashboard at path';
  const { path } = value;
  if (typeof path !== 'string' || !/^(\/[^/?#\s]+)+$/.test(path)) {
    return `expected path to be a path such as '/admin/spool' (a leading slash, no trailing slash), got ${JSON.stringify(path)}`;
  }
  return null;
}
