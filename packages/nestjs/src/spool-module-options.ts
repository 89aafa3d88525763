import type { ServerOptions, Spool } from '@spool/core';
import type { ResolvedIntegrationOptions, SpoolDashboardMount } from '@spool/dashboard/integration-kit';
import { resolveIntegrationOptions } from '@spool/dashboard/integration-kit';

export type { SpoolDashboardMount };

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
export type ResolvedSpoolModuleOptions = ResolvedIntegrationOptions;

/** Checks the options: unknown keys and every problem reported at once, as everywhere in Spool. */
export function resolveSpoolModuleOptions(options: SpoolModuleOptions): ResolvedSpoolModuleOptions {
  // The server's handleSignals stays false: Nest removes its own signal listeners before it shuts
  // down, so a server that listened too would find no other listener once stopped and end the
  // process in the middle of Nest's shutdown.
  return resolveIntegrationOptions(options, { where: 'SpoolModule options', mountedBy: 'module' });
}
