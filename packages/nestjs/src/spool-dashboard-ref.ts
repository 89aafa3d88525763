import type { DashboardHandler } from '@spool/dashboard';
import { createDashboard } from '@spool/dashboard';

import type { ResolvedSpoolModuleOptions } from './spool-module-options.js';

/** The dashboard the module mounts, and where. */
export interface SpoolDashboardRef {
  readonly path: string;
  readonly handler: DashboardHandler;
}

/** The dashboard of the module's options, or null when they mount none. */
export function spoolDashboardRef({ spool, dashboard }: ResolvedSpoolModuleOptions): SpoolDashboardRef | null {
  if (dashboard === false) return null;
  const { path, ...options } = dashboard;
  return { path, handler: createDashboard(spool, { ...options, basePath: path }) };
}
