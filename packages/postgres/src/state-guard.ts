import type { JobState } from '@spool/core';
import { JOB_STATES, STATE_FACTS } from '@spool/core';

/**
 * A condition on the state of a job row that a statement has found by a key (its id, its parent's
 * id), written so that it matches no partial index of `jobs`.
 *
 * Most indexes of `jobs` are partial on the state (`jobs_leases ... WHERE state = 'processing'`,
 * `jobs_state`, ...). A plain `state = 'processing'` proves such an index's predicate, and the
 * planner may then read the whole index instead of the primary key, filtering each entry against
 * the ids it looks for. It does so whenever the statistics say the state is rare: after an ANALYZE
 * of a backlog nothing is processing, so the index "holds one row", while it actually holds every
 * running job and the dead entries of every job that ran since the last vacuum (a batch of 500
 * successes with 10,500 jobs running read 10,001 entries: 190 ms, against 2.5 ms by primary key).
 * Compared in the "C" collation, the condition means the same (states are plain ASCII, and
 * equality is byte equality in every deterministic collation), but the planner proves
 * partial-index predicates only for the collation they were written in, and uses an index column
 * only for its own collation: the key's index is the only way in left, whatever the statistics
 * say. The condition is still checked on every row, and
 * again on the newest version of a row that an update waited for.
 */
export function inState(column: string, state: JobState | `$${number}`): string {
  const value = state.startsWith('$') ? `${state}::text` : `'${state}'`;
  return `(${column} COLLATE "C") = ${value}`;
}

/**
 * The states in which a job holds its unique key, as an SQL list: `('scheduled', 'enqueued', ...)`.
 * The same text as the predicate of the `jobs_unique` index (migrations.ts), which an ON CONFLICT
 * clause must repeat for the index to be used.
 */
export const ACTIVE_STATES_SQL = `(${JOB_STATES.filter((state) => STATE_FACTS[state].active)
  .map((state) => `'${state}'`)
  .join(', ')})`;
