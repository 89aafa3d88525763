import type { ServerOptions, Spool } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';
import type { OptionsSchema } from '@spool/core/storage-kit';

import type { DashboardOptions } from '../dashboard-options.js';

/** The dashboard under a path: every dashboard option but `basePath`, which `path` gives. */
export interface SpoolDashboardMount extends Omit<DashboardOptions, 'basePath'> {
  /** Where the dashboard answers, e.g. `'/admin/spool'`: a path without a trailing slash. */
  path: string;
}

/** The options every framework integration takes: the instance, its server and the dashboard's mount. */
export interface IntegrationOptions {
  spool: Spool;
  server?: ServerOptions | false;
  dashboard?: SpoolDashboardMount | false;
}

/** {@link IntegrationOptions} after checks: defaults applied, the server's `handleSignals` off. */
export interface ResolvedIntegrationOptions {
  spool: Spool;
  server: ServerOptions | false;
  dashboard: SpoolDashboardMount | false;
}

/** How one framework's options are checked: where they are named, what mounts the dashboard, its own keys. */
export interface IntegrationOptionsSpec {
  /** Names the options in errors, e.g. `'@spool/fastify options'`. */
  where: string;
  /** What mounts the dashboard, for the message about `basePath`: `'plugin'`, `'router'`, `'module'`. */
  mountedBy: string;
  /** The framework's own options, checked with the shared ones. */
  extra?: OptionsSchema;
}

/**
 * Checks a framework integration's options: unknown keys and every problem reported at once, as
 * everywhere in Spool. The server's `handleSignals` defaults to false: a signal should close the
 * whole application (its HTTP server first), and the job server with it, not the job server alone.
 */
export function resolveIntegrationOptions<T extends ResolvedIntegrationOptions>(options: unknown, spec: IntegrationOptionsSpec): T {
  const resolved = resolveOptions<T>(
    {
      spool: { kind: 'any', check: (v) => (isSpool(v) ? null : 'expected a Spool instance (new Spool({ storage, jobs }))') },
      server: { kind: 'any', default: {}, check: (v) => (v === false || isPlainObject(v) ? null : 'expected server options or false') },
      dashboard: { kind: 'any', default: false, check: (v) => checkMount(v, spec.mountedBy) },
      ...spec.extra,
    },
    options,
    spec.where,
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

function checkMount(value: unknown, mountedBy: string): string | null {
  if (value === false) return null;
  if (!isPlainObject(value)) return "expected { path: '/admin/spool', ...dashboard options } or false";
  if ('basePath' in value) return `expected path, not basePath: the ${mountedBy} mounts the dashboard at path`;
  const { path } = value;
  if (typeof path !== 'string' || !/^(\/[^/?#\s]+)+$/.test(path)) {
    return `expected path to be a path such as '/admin/spool' (a leading slash, no trailing slash), got ${JSON.stringify(path)}`;
  }
  return null;
}
