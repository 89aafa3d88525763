import type { Storage } from '../storage/contract.js';
import type { FileStore } from './file-store.js';
import { PAYLOAD_PREFIX, jobIdOfPayloadKey } from './payloads.js';

/**
 * How old a job id must be before its payload files may be removed for want of a job. A client
 * writes a job's payload before the job's record (in the caller's transaction, which may be long),
 * so files newer than this are left alone: their job may not be committed yet.
 */
export const PAYLOAD_SWEEP_GRACE_MS = 60 * 60 * 1000;

/** Jobs looked up at once during a sweep. */
const LOOKUPS_AT_ONCE = 8;

/** What one sweep step did, and where the next one goes on. */
export interface PayloadSweepResult {
  /** Job ids whose files were looked at. */
  checked: number;
  /** Files removed because their job no longer exists. */
  removed: number;
  /** The last key seen, to pass as `after` to the next step; null when the listing reached its end. */
  cursor: string | null;
}

/**
 * One step of the payload sweep: lists up to `limit` payload files after `after`, and removes
 * those whose job no longer exists (expired, or never committed), leaving files whose job id is
 * younger than `graceMs`. This is how deleting and expiring a job remove its files, on every
 * storage, without the storages knowing of files: the record goes first, its files follow at the
 * next sweep. Files of a job that exists are never removed.
 */
export async function sweepPayloads(params: {
  files: FileStore;
  storage: Pick<Storage, 'jobGet'>;
  after: string | null;
  limit: number;
  now: number;
  graceMs?: number;
}): Promise<PayloadSweepResult> {
  const { files, storage, now } = params;
  const graceMs = params.graceMs ?? PAYLOAD_SWEEP_GRACE_MS;
  const page = await files.list({ prefix: PAYLOAD_PREFIX, ...(params.after === null ? {} : { after: params.after }), limit: params.limit });
  const byJob = new Map<string, string[]>();
  for (const file of page.files) {
    const jobId = jobIdOfPayloadKey(file.key);
    // Not a payload's key, or a job too young to judge: leave it.
    if (jobId === null || !(uuidV7Time(jobId) < now - graceMs)) continue;
    byJob.set(jobId, [...(byJob.get(jobId) ?? []), file.key]);
  }
  const ids = [...byJob.keys()];
  const gone: string[] = [];
  for (let i = 0; i < ids.length; i += LOOKUPS_AT_ONCE) {
    const batch = ids.slice(i, i + LOOKUPS_AT_ONCE);
    const records = await Promise.all(batch.map((id) => storage.jobGet({ id })));
    records.forEach((record, n) => {
      if (record === null) gone.push(...byJob.get(batch[n]!)!);
    });
  }
  if (gone.length > 0) await files.delete(gone);
  const last = page.files.at(-1)?.key ?? null;
  return { checked: ids.length, removed: gone.length, cursor: page.more ? last : null };
}

/** The creation time in a UUIDv7 (its first 48 bits, milliseconds since 1970); NaN when it is not one. */
function uuidV7Time(id: string): number {
  if (id[14] !== '7') return Number.NaN;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
