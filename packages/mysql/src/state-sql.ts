import type { JobState } from '@spool/core';
import { JOB_STATES, STATE_FACTS } from '@spool/core';

/** An SQL list of states for `state IN ...`: `('succeeded', 'deleted')`. */
function stateList(states: readonly JobState[]): string {
  return `(${states.map((s) => `'${s}'`).join(', ')})`;
}

/** Jobs in these states expire after their retention. */
export const EXPIRING_STATES_SQL = stateList(JOB_STATES.filter((s) => STATE_FACTS[s].expires));
