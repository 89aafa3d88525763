import type { JobState } from '@spool/core';
import { sourcesOf } from '@spool/core';

/** An operator's action on jobs, performed through the client. */
export type JobAction = 'requeue' | 'delete' | 'retry';

/** One action as the pages offer it. */
export interface JobActionInfo {
  action: JobAction;
  label: string;
  /** Destructive: asks for confirmation. */
  danger: boolean;
}

const ALL: readonly JobActionInfo[] = [
  { action: 'retry', label: 'Retry', danger: false },
  { action: 'requeue', label: 'Requeue', danger: false },
  { action: 'delete', label: 'Delete', danger: true },
];

/** Whether a job in `state` can take `action`. */
export function canAct(action: JobAction, state: JobState): boolean {
  switch (action) {
    case 'retry':
      return state === 'failed';
    case 'requeue':
      return (sourcesOf('enqueued') as readonly JobState[]).includes(state) && state !== 'enqueued';
    case 'delete':
      return state !== 'deleted';
  }
}

/** The actions offered for jobs in a state (all of them for a mixed list). */
export function actionsFor(state: JobState | undefined): JobActionInfo[] {
  if (state === undefined) return ALL.filter((a) => a.action !== 'retry');
  return ALL.filter((a) => canAct(a.action, state));
}

/** Whether a string names a job action. */
export function isJobAction(value: string | undefined): value is JobAction {
  return value === 'requeue' || value === 'delete' || value === 'retry';
}
