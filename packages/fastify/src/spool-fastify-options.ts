import type { ServerOptions, Spool } from '@spool/core';
import type { ResolvedIntegrationOptions, SpoolDashboardMount } from '@spool/dashboard/integration-kit';
import { resolveIntegrationOptions } from '@spool/dashboard/integration-kit';

export type { SpoolDashboardMount };

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
export interface ResolvedSpoolFastifyOptions extends ResolvedIntegrationOptions {
  closeOnSignals: boolean;
}

/** Checks the plugin's options: unknown keys and every problem reported at once, as everywhere in Spool. */
export function resolveSpoolFastifyOptions(options: SpoolFastifyOptions): ResolvedSpoolFastifyOptions {
  return resolveIntegrationOptions<ResolvedSpoolFastifyOptions>(options, { where: '@spool/fastify options', mountedBy: 'plugin', extra: { closeOnSignals: { kind: 'boolean', default: true } } });
}
