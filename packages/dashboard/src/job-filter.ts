import type { JobsListParams } from '@spool/core';
import { isJobState } from '@spool/core';

import type { JobFilter } from './pages/jobs-page.js';

/** Longest search text accepted. */
const MAX_SEARCH = 200;

function date(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Reads a job filter from query or form fields (unknown values are ignored, not trusted). */
export function parseFilter(get: (name: string) => string | null | undefined): JobFilter {
  const filter: JobFilter = {};
  const state = get('state');
  if (isJobState(state)) filter.state = state;
  const queue = get('queue')?.trim();
  if (queue) filter.queue = queue.slice(0, MAX_SEARCH);
  const name = get('name')?.trim();
  if (name) filter.name = name.slice(0, MAX_SEARCH);
  const search = get('q')?.trim();
  if (search) filter.search = search.slice(0, MAX_SEARCH);
  const from = date(get('from'));
  if (from) filter.from = from;
  const to = date(get('to'));
  if (to) filter.to = to;
  const server = get('server')?.trim();
  if (server) filter.serverId = server.slice(0, MAX_SEARCH);
  if (get('sort') === 'name') filter.order = 'name';
  return filter;
}

/** The monitoring query of a filter. */
export function listParams(filter: JobFilter, limit: number, cursor?: string | null): JobsListParams {
  const params: JobsListParams = { limit, cursor: cursor ?? null };
  if (filter.state) params.state = filter.state;
  if (filter.queue) params.queue = filter.queue;
  if (filter.name) params.name = filter.name;
  if (filter.search) params.search = filter.search;
  if (filter.from) params.from = filter.from;
  if (filter.to) params.to = filter.to;
  if (filter.serverId) params.serverId = filter.serverId;
  // A text search reads creation-time windows newest first (bounded-search.ts): it keeps that order.
  if (filter.order === 'name' && !filter.search) params.order = 'name';
  return params;
}
