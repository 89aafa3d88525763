import type { JobRecord } from '../job/records.js';

/** Encodes a paging cursor (opaque to callers). */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

/** Decodes a paging cursor; null for none. */
export function decodeCursor(cursor: string | null | undefined): string | null {
  if (!cursor) return null;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** Whether a job matches a free-text search: its id exactly, or a substring of its name or arguments. */
export function matchesSearch(job: JobRecord, search: string): boolean {
  const needle = search.toLowerCase();
  return job.id === search || job.name.toLowerCase().includes(needle) || JSON.stringify(job.args).toLowerCase().includes(needle);
}

/** Most buckets a time series returns: a bound on the work of one call. */
export const MAX_TIME_SERIES_BUCKETS = 24 * 92;

/** The start (ms, UTC) of every hour or day bucket between `from` and `to`, both included. */
export function bucketStarts(bucket: 'hour' | 'day', from: Date, to: Date): number[] {
  const size = bucket === 'hour' ? 3_600_000 : 86_400_000;
  const starts: number[] = [];
  for (let at = Math.floor(from.getTime() / size) * size; at <= to.getTime() && starts.length < MAX_TIME_SERIES_BUCKETS; at += size) {
    starts.push(at);
  }
  return starts;
}

/**
 * The smallest UUIDv7 made at `ms`: every id made at or after that millisecond sorts at or after it,
 * so a creation-time window is an id range (`id >= lowerIdAt(from)`, `id < lowerIdAt(to + 1)`).
 */
export function lowerIdAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/** The id bounds of a creation-time window: `id >= min` and `id < max` (either may be absent). */
export function idRange(from?: Date, to?: Date): { min: string | null; max: string | null } {
  return { min: from ? lowerIdAt(from.getTime()) : null, max: to ? lowerIdAt(to.getTime() + 1) : null };
}
