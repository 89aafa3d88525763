import type { IncomingMessage } from 'node:http';

import { resolveOptions } from '@spool/core/storage-kit';

/** A request as the dashboard sees it: Node's request, with what Express adds when it mounts it. */
export type DashboardRequest = IncomingMessage & { baseUrl?: string; originalUrl?: string; body?: unknown };

/**
 * What `authorize` may answer besides `true` (allowed) and `false` (403 Forbidden): a status with
 * headers (e.g. 401 with `WWW-Authenticate`), or a redirect to a login page (303).
 */
export type AuthorizeDenial = { status: 401 | 403; headers?: Record<string, string> } | { redirect: string };

/**
 * An allowed request with the operator's name: shown in the audit log as who did each action
 * (without it, the log names the request's remote address).
 */
export type AuthorizeOperator = { operator: string };

/** The answer of an `authorize` hook. */
export type AuthorizeAnswer = boolean | AuthorizeDenial | AuthorizeOperator;

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /**
   * The path the dashboard is mounted under, e.g. `'/spool'`. Default: detected from Express's
   * `req.baseUrl`, else `''` (mounted at the root).
   */
  basePath?: string;
  /**
   * Decides who may use the dashboard. Default: only requests from the local machine (loopback
   * addresses). Once given, it alone decides: check the user here. It answers `true`, `false`
   * (403), `{ status: 401, headers }` or `{ redirect: '/login' }`, or `{ operator: 'ada' }` to
   * allow and name who acts (the audit log records it; otherwise the remote address). If it throws,
   * the client gets a plain 500 without details and the error goes to `onError`.
   */
  authorize?: (request: DashboardRequest) => AuthorizeAnswer | Promise<AuthorizeAnswer>;
  /**
   * Host names the dashboard answers to, besides `localhost` (and `*.localhost`) and IP addresses,
   * which it always accepts. A request for any other name is refused, so that a site whose name an
   * attacker points at this machine (DNS rebinding) cannot read or change jobs. Add the public name
   * when the dashboard is served behind a proxy: `['jobs.example.com']`, or `['.example.com']` for
   * every name under it. Default `[]`.
   */
  allowedHosts?: string[];
  /** Where errors that are not shown to the client go (a throwing `authorize`, a failed page). Default: `console.error`. */
  onError?: (error: unknown) => void;
  /** Shows everything, changes nothing: hides actions and refuses every POST. Default false. */
  readOnly?: boolean;
  /** The name in the page header. Default 'Spool'. */
  title?: string;
  /**
   * Open pages are pushed changes over one server-sent-events stream each. This is how often the
   * dashboard reads the counts when the storage announced nothing (writes of other processes that
   * the storage does not announce here; five times as long on storages that announce every
   * process's writes), and how often a page polls when its stream cannot open (ms or duration
   * string). Default '2s'.
   */
  pollInterval?: number | string;
  /** Most live streams (open pages) one dashboard holds at once; pages beyond it poll. Default 1,000. */
  maxStreams?: number;
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
  /**
   * Longest list that "By job name" sorts. No storage keeps jobs in name order (an index for it
   * would slow every enqueue), so a sort reads the whole list; a longer list stays newest first and
   * says to filter by name. Default 20,000.
   */
  sortByNameUpTo?: number;
}

/** Options after defaults. */
export interface ResolvedDashboardOptions {
  basePath?: string;
  authorize?: (request: DashboardRequest) => AuthorizeAnswer | Promise<AuthorizeAnswer>;
  allowedHosts: readonly string[];
  onError: (error: unknown) => void;
  readOnly: boolean;
  title: string;
  pollInterval: number;
  maxStreams: number;
  pageSize: number;
  bulkLimit: number;
  searchTimeBudget: number;
  sortByNameUpTo: number;
}

/** Resolves and validates dashboard options. */
export function resolveDashboardOptions(options: DashboardOptions | undefined): ResolvedDashboardOptions {
  const resolved = resolveOptions<ResolvedDashboardOptions>(
    {
      basePath: { kind: 'string', optional: true, pattern: /^(\/[^/?#]+)*\/?$/, patternHint: "a path such as '/spool'" },
      authorize: { kind: 'function', optional: true },
      allowedHosts: { kind: 'stringList', default: [] },
      onError: { kind: 'function', optional: true },
      readOnly: { kind: 'boolean', default: false },
      title: { kind: 'string', default: 'Spool' },
      pollInterval: { kind: 'duration', default: 2000, min: 250 },
      maxStreams: { kind: 'integer', default: 1000, min: 1 },
      pageSize: { kind: 'integer', default: 50, min: 1, max: 500 },
      bulkLimit: { kind: 'integer', default: 10_000, min: 1 },
      searchTimeBudget: { kind: 'duration', default: 80, min: 1 },
      sortByNameUpTo: { kind: 'integer', default: 20_000, min: 0 },
    },
    options,
    'dashboard options',
  );
  const basePath = resolved.basePath?.replace(/\/$/, '');
  const allowedHosts = Object.freeze(resolved.allowedHosts.map((h) => h.trim().toLowerCase()).filter((h) => h !== ''));
  const onError = resolved.onError ?? ((error: unknown) => console.error('Spool dashboard:', error));
  return Object.freeze({ ...resolved, basePath, allowedHosts, onError });
}
