import type { JobRecord, MonitoringApi } from '@spool/core';
import { isUuid } from '@spool/core';
import { decodeCursor, encodeCursor } from '@spool/core/storage-kit';

import { listParams } from './job-filter.js';
import type { JobFilter } from './pages/jobs-page.js';

/** What a bounded search found, and how far back it looked. */
export interface BoundedSearchResult {
  jobs: JobRecord[];
  /** Cursor of the next page when this one filled up. */
  nextCursor: string | null;
  /** Set when the time budget ran out before the whole range was searched: jobs created before this were not searched. */
  searchedBack: Date | null;
}

/** The creation time (ms) of a UUIDv7 id: its first 48 bits. */
export function idTime(id: string): number | null {
  const hex = id.replace(/-/g, '').slice(0, 12);
  return /^[0-9a-f]{12}$/i.test(hex) ? Number.parseInt(hex, 16) : null;
}

/** Jobs read (without search) to measure how densely jobs were created just before a point in time. */
const PROBE = 200;
/** Jobs the first window should hold; later windows are sized from the measured scan rate. */
const FIRST_WINDOW_JOBS = 20_000;

/**
 * Searches job text newest first within a time budget, so that a page answers quickly however many
 * jobs storage holds. Text search cannot use an index (it looks inside names and arguments), so
 * instead of one scan over every job it asks the storage for creation-time windows, newest first
 * (each one an id range the storage reads by its primary key). Each window is sized to hold about as
 * many jobs as the time left can scan: the density of jobs comes from reading the newest few jobs
 * before the window (a cheap read), the scan rate from the windows already searched. It stops when the
 * page is full or the budget is spent; the page then says how far back it searched and offers to
 * search older jobs. An exact job id is looked up directly.
 */
export async function boundedSearch(monitoring: MonitoringApi, filter: JobFilter, limit: number, cursor: string | null, budgetMs: number, now: number): Promise<BoundedSearchResult> {
  const text = filter.search!;
  if (isUuid(text)) {
    if (cursor) return { jobs: [], nextCursor: null, searchedBack: null };
    const details = await monitoring.jobDetails({ id: text.toLowerCase(), logLimit: 0 });
    const job = details?.job;
    const fits = job && (!filter.state || job.state === filter.state) && (!filter.queue || job.queue === filter.queue) && (!filter.serverId || job.serverId === filter.serverId);
    if (fits) return { jobs: [job], nextCursor: null, searchedBack: null };
    // Not a job id after all (or filtered out): search it as text below.
  }
  const lower = filter.from?.getTime() ?? 0;
  const after = decodeCursor(cursor);
  let upper = Math.min(filter.to?.getTime() ?? now, after ? (idTime(after) ?? now) : now);
  let pageCursor = cursor;
  let windowJobs = FIRST_WINDOW_JOBS;
  let spanCapMs: number | null = null;
  const found: JobRecord[] = [];
  const started = performance.now();
  for (;;) {
    // How densely were jobs created just before `upper`? (All states: an upper bound on the scan.)
    const probe = await monitoring.jobsList({ limit: PROBE, from: lower > 0 ? new Date(lower) : undefined, to: new Date(upper), cursor: pageCursor });
    let start = lower;
    let jobsInWindow = probe.jobs.length;
    if (probe.nextCursor !== null) {
      // Measured from the newest job, not from `upper`: an idle gap before `upper` holds no jobs.
      const newest = idTime(probe.jobs[0]!.id) ?? upper;
      const oldest = idTime(probe.jobs.at(-1)!.id) ?? lower;
      const probedMs = Math.max(1, newest - oldest + 1);
      const perMs = PROBE / probedMs;
      // The density is measured only near `upper`: a window reaches at most 8 times further back than
      // the one before (the first: 4 times the probe), so a burst of jobs further back is met in steps.
      spanCapMs ??= probedMs * 4;
      const spanMs = Math.min(windowJobs / perMs, spanCapMs);
      start = Math.max(lower, Math.floor(Math.min(upper, newest) - spanMs));
      jobsInWindow = Math.max(PROBE, (Math.min(upper, newest) - start) * perMs);
      spanCapMs = spanMs * 8;
    }
    const queried = performance.now();
    const page = await monitoring.jobsList(listParams({ ...filter, from: new Date(start), to: new Date(upper) }, limit - found.length, pageCursor));
    found.push(...page.jobs);
    if (found.length >= limit) {
      const more = page.nextCursor !== null || start > lower;
      return { jobs: found, nextCursor: more ? encodeCursor(found.at(-1)!.id) : null, searchedBack: null };
    }
    if (start <= lower) return { jobs: found, nextCursor: null, searchedBack: null };
    upper = start - 1;
    pageCursor = null;
    const took = performance.now() - queried;
    const left = budgetMs - (performance.now() - started);
    // The next window: as many jobs as 60% of the time left scans at the rate just seen (at most 8x).
    windowJobs = Math.min(windowJobs * 8, ((jobsInWindow / Math.max(took, 0.25)) * left * 0.6));
    if (left <= 0 || windowJobs < PROBE) return { jobs: found, nextCursor: null, searchedBack: new Date(start) };
  }
}
