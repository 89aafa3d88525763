import type { JobState } from '@spool/core';
import { JOB_STATES, STATE_FACTS } from '@spool/core';

/**
 * An SQL condition that `state` is one of `states`, written as OR-ed equalities. Not `IN (...)`: SQLite
 * evaluates an IN list of more than two constants through a temporary table built on every execution,
 * which made every state change pay for two of them.
 */
export function stateIn(states: readonly JobState[]): string {
  return `(${states.map((s) => `state = '${s}'`).join(' OR ')})`;
}

/** Jobs in these states hold their unique key. */
export const ACTIVE_SQL = stateIn(JOB_STATES.filter((s) => STATE_FACTS[s].active));

/** Jobs in these states expire after their retention. */
export const EXPIRING_SQL = stateIn(JOB_STATES.filter((s) => STATE_FACTS[s].expires));

