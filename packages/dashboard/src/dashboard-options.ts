import type { IncomingMessage } from 'node:http';

import { resolveOptions } from '@spool/core';

/** A request as the dashboard sees it: Node's request, with what Express adds when it mounts it. */
export type DashboardRequest = IncomingMessage & { baseUrl?: string; originalUrl?: string; body?: unknown };

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /**
   * The path the dashboard is mounted under, e.g. `'/spool'`. Default: detected from Express's
   * `req.baseUrl`, else `''` (mounted at the root).
   */
  basePath?: string;
  /**
   * Decides who may use the dashboard. Default: only requests from the local machine (loopback
   * addresses). Once given, it alone decides: check the user here.
   */
  authorize?: (request: DashboardRequest) => boolean | Promise<boolean>;
  /** Shows everything, changes nothing: hides actions and refuses every POST. Default false. */
  readOnly?: boolean;
  /** The name in the page header. Default 'Spool'. */
  title?: string;
  /** How often open pages refresh themselves (ms or duration string). Default '2s'. */
  pollInterval?: number | string;
  /** Jobs per list page. Default 50. */
  pageSize?: number;
  /** Most jobs one "all matching" bulk action changes in one request. Default 10,000. */
  bulkLimit?: number;
  /**
   * How long one page may search job text (ms or duration string). Text search looks inside every
   * job's arguments, so a page searches the newest jobs within this time and offers to search older
   * ones. Default 80 ms.
   */
  searchTimeBudget?: number | string;
}

/** Options after defaults. */
export interface ResolvedDashboardOptions {
  basePath?: string;
  authorize?: (request: DashboardRequest) => boolean | Promise<boolean>;
  readOnly: boolean;
  title: string;
  pollInterval: number;
  pageSize: number;
  bulkLimit: number;
  searchTimeBudget: number;
}

/** Resolves and validates dashboard options. */
export function resolveDashboardOptions(options: DashboardOptions | undefined): ResolvedDashboardOptions {
  const resolved = resolveOptions<ResolvedDashboardOptions>(
    {
      basePath: { kind: 'string', optional: true, pattern: /^(\/[^/?#]+)*\/?$/, patternHint: "a path such as '/spool'" },
      authorize: { kind: 'function', optional: true },
      readOnly: { kind: 'boolean', default: false },
      title: { kind: 'string', default: 'Spool' },
      pollInterval: { kind: 'duration', default: 2000, min: 250 },
      pageSize: { kind: 'integer', default: 50, min: 1, max: 500 },
      bulkLimit: { kind: 'integer', default: 10_000, min: 1 },
      searchTimeBudget: { kind: 'duration', default: 80, min: 1 },
    },
    options,
    'dashboard options',
  );
  const basePath = resolved.basePath?.replace(/\/$/, '');
  return Object.freeze({ ...resolved, basePath });
}
