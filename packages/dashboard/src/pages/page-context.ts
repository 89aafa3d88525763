import type { StatsRecord } from '@spool/core';

/** What every page needs to render links, forms and the frame around it. */
export interface PageContext {
  /** The mount path, without a trailing slash ('' at the root). */
  base: string;
  csrfToken: string;
  readOnly: boolean;
  title: string;
  pollIntervalMs: number;
  /** Asset URLs with their content hashes. */
  scriptUrl: string;
  styleUrl: string;
  /** Counts for the navigation. */
  stats: StatsRecord;
  /** A message about the action just done (shown once, at the top). */
  notice: string | null;
  /** Job names this process has definitions for (offered in name filters and the enqueue form). */
  jobNames: readonly string[];
  /** The page's own path and query (for live refresh and redirects back). */
  self: string;
}
