import type { Spool } from '@spool/core';
import { JobNotFoundError } from '@spool/core';

import type { DashboardState } from './dashboard-state.js';
import type { JobAction } from './job-actions.js';
import { canAct } from './job-actions.js';
import { boundedSearch } from './bounded-search.js';
import { listParams } from './job-filter.js';
import type { JobFilter } from './pages/jobs-page.js';

/** Jobs read per monitoring call while walking a filter. */
const BATCH = 500;

/** How many jobs match a filter: exact from the counters for a plain state, else counted (bounded by the bulk limit and the search time budget). */
export async function countMatching(state: DashboardState, filter: JobFilter): Promise<{ matching: number; exact: boolean }> {
  const monitoring = state.spool.storage.monitoring;
  const plain = filter.state && !filter.queue && !filter.name && !filter.search && !filter.from && !filter.to;
  if (plain) return { matching: (await monitoring.stats()).states[filter.state!], exact: true };
  if (filter.search) {
    const found = await boundedSearch(monitoring, filter, state.options.bulkLimit + 1, null, state.options.searchTimeBudget, await state.now());
    return { matching: found.jobs.length, exact: found.nextCursor === null && found.searchedBack === null };
  }
  // Counted page by page, up to the bulk limit and within the search time budget: beyond either the
  // confirmation says "at least".
  let matching = 0;
  let cursor: string | null = null;
  const started = performance.now();
  do {
    const page = await monitoring.jobsList(listParams(filter, BATCH, cursor));
    matching += page.jobs.length;
    cursor = page.nextCursor;
  } while (cursor && matching <= state.options.bulkLimit && performance.now() - started < state.options.searchTimeBudget);
  return { matching, exact: cursor === null };
}

/** Applies an action to one job through the client; false when the job is not in a state it applies to. */
export async function applyAction(spool: Spool, action: JobAction, id: string): Promise<boolean> {
  try {
    switch (action) {
      case 'requeue':
        return await spool.requeue(id, 'Requeued from the dashboard');
      case 'delete':
        return await spool.delete(id, 'Deleted from the dashboard');
      case 'retry':
        return await spool.retry(id, 'Retried from the dashboard');
    }
  } catch (error) {
    if (error instanceof JobNotFoundError) return false;
    throw error;
  }
}

/**
 * Applies an action to every job matching a filter, in bounded batches read from the monitoring
 * read model, up to the bulk limit. Returns how many changed and whether more may remain.
 */
export async function applyToMatching(state: DashboardState, action: JobAction, filter: JobFilter): Promise<{ changed: number; skipped: number; more: boolean }> {
  const monitoring = state.spool.storage.monitoring;
  let changed = 0;
  let skipped = 0;
  if (filter.search) {
    // Text matches are found within a time budget (ten times a page's), then acted on.
    const found = await boundedSearch(monitoring, filter, state.options.bulkLimit, null, state.options.searchTimeBudget * 10, await state.now());
    for (const job of found.jobs) {
      if (canAct(action, job.state) && (await applyAction(state.spool, action, job.id))) changed++;
      else skipped++;
    }
    return { changed, skipped, more: found.nextCursor !== null || found.searchedBack !== null };
  }
  let seen = 0;
  let cursor: string | null = null;
  do {
    const page = await monitoring.jobsList(listParams(filter, Math.min(BATCH, state.options.bulkLimit - seen), cursor));
    for (const job of page.jobs) {
      seen++;
      if (canAct(action, job.state) && (await applyAction(state.spool, action, job.id))) changed++;
      else skipped++;
    }
    cursor = page.nextCursor;
  } while (cursor && seen < state.options.bulkLimit);
  return { changed, skipped, more: cursor !== null };
}
