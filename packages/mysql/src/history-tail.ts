import type { JobState, Json } from '@spool/core';
import { claimIntent } from '@spool/core';

import type { Row } from './executor.js';

/**
 * A job row holds the history entries of its latest attempt (`tail`, migration 4), as on
 * PostgreSQL: the claim and the batch of successes write them into the row instead of appending
 * history rows, so a job that runs once and succeeds writes no history row at all. `tail` is a set
 * of bits: {@link TAIL_STARTED} (time `started_at`, server `server_id`, attempt `attempt`) and
 * {@link TAIL_SUCCEEDED} (time `finished_at`, reason `tail_reason`, server `tail_server`, or
 * `server_id` when NULL). The entries come after every history row of the job.
 *
 * Every other change of the job first copies them into the history table ("spills" them, in
 * {@link tailEntries}' order) and clears `tail`, in the same transaction, so entries keep their
 * order. A job reaches `enqueued` only at its creation (tail 0) or through such a change, so the
 * claim always finds `tail` at 0 and may overwrite it.
 */
export const TAIL_STARTED = 1;
/** The bit of `tail` that says the row holds the attempt's success. */
export const TAIL_SUCCEEDED = 2;

/** The columns {@link tailEntries} reads from the job's row. */
export const TAIL_COLUMNS = 'tail, tail_reason, tail_server, started_at, finished_at, server_id, attempt';

/** What a transition writes to clear the row-held entries, after spilling them. */
export const CLEAR_TAIL_SQL = 'tail = 0, tail_reason = NULL, tail_server = NULL';

/** One history entry the row holds. */
export interface TailEntry {
  state: JobState;
  reason: string;
  data: Json;
  at: number;
  serverId: string | null;
}

/**
 * The history entries a job's row holds, oldest first: its latest start (the entry core's
 * `claimIntent` decides, rebuilt from the row) and its success. Empty when `tail` is 0.
 */
export function tailEntries(row: Row): TailEntry[] {
  const tail = Number(row.tail ?? 0);
  const entries: TailEntry[] = [];
  const serverId = row.server_id as string | null;
  if ((tail & TAIL_STARTED) !== 0) {
    const { reason, data } = claimIntent(serverId ?? '', Number(row.attempt), '', 0);
    entries.push({ state: 'processing', reason, data, at: Number(row.started_at), serverId });
  }
  if ((tail & TAIL_SUCCEEDED) !== 0) {
    entries.push({ state: 'succeeded', reason: row.tail_reason as string, data: null, at: Number(row.finished_at), serverId: (row.tail_server as string | null) ?? serverId });
  }
  return entries;
}
