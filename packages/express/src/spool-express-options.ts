import type { ServerOptions, Spool } from '@spool/core';
import type { ResolvedIntegrationOptions, SpoolDashboardMount } from '@spool/dashboard/integration-kit';
import { resolveIntegrationOptions } from '@spool/dashboard/integration-kit';

export type { SpoolDashboardMount };

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

/** Checks the options: unknown keys and every problem reported at once, as everywhere in Spool. */
export function resolveSpoolExpressOptions(options: SpoolExpressOptions): ResolvedIntegrationOptions {
  return resolveIntegrationOptions(options, { where: '@spool/express options', mountedBy: 'router' });
}
