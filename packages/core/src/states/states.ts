/**
 * The job state machine: a closed union of states, one table of facts per state, and one table of
 * allowed transitions. `docs/state-machine.md` draws the same table, and a test holds the two together.
 */

/** Every state a job can be in. */
export const JOB_STATES = ['scheduled', 'enqueued', 'awaiting', 'processing', 'succeeded', 'failed', 'deleted'] as const;

/** A job's state. */
export type JobState = (typeof JOB_STATES)[number];

/** What is true of a job in a given state. */
export interface StateFacts {
  /** No further transition happens unless someone acts (requeue). */
  final: boolean;
  /** Finished jobs in this state are removed after their retention. */
  expires: boolean;
  /** The job has finished (its handler will not run again unless someone acts): its finish time is recorded and its continuations are settled. */
  finished: boolean;
  /** A job in this state counts as "not finished" for unique keys. */
  active: boolean;
  /** One sentence for docs and the dashboard. */
  description: string;
}

/** The facts of every state. */
export const STATE_FACTS: Readonly<Record<JobState, StateFacts>> = Object.freeze({
  scheduled: { final: false, expires: false, finished: false, active: true, description: 'Waits for its due time (a delay or a retry backoff).' },
  enqueued: { final: false, expires: false, finished: false, active: true, description: 'Waits in its queue for a free server slot.' },
  awaiting: { final: false, expires: false, finished: false, active: true, description: 'A continuation or a step that waits for its parents (jobs or a batch) to finish.' },
  processing: { final: false, expires: false, finished: false, active: true, description: 'Runs on a server that holds its lease.' },
  succeeded: { final: true, expires: true, finished: true, active: false, description: 'Finished without error; expires after its retention.' },
  failed: { final: false, expires: false, finished: true, active: false, description: 'Ran out of attempts; kept until an operator retries or deletes it.' },
  deleted: { final: true, expires: true, finished: true, active: false, description: 'Deleted by an operator or cancelled; expires after its retention.' },
});

/** The pseudo-state before a job exists: the source of creation transitions. */
export const CREATED = 'created' as const;

/**
 * Every allowed transition: `from -> to[]`. Storages perform these and no others; the conformance
 * suite checks every history record against this table.
 */
export const TRANSITIONS: Readonly<Record<JobState | typeof CREATED, readonly JobState[]>> = Object.freeze({
  created: ['enqueued', 'scheduled', 'awaiting', 'deleted'],
  scheduled: ['enqueued', 'deleted'],
  enqueued: ['processing', 'deleted'],
  awaiting: ['enqueued', 'deleted', 'failed'],
  processing: ['succeeded', 'failed', 'scheduled', 'enqueued', 'deleted'],
  succeeded: ['enqueued', 'deleted'],
  failed: ['enqueued', 'deleted'],
  deleted: ['enqueued'],
});

/** Whether `from -> to` is in the transitions table. */
export function canTransition(from: JobState | typeof CREATED, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States from which `to` can be reached. */
export function sourcesOf(to: JobState): JobState[] {
  return JOB_STATES.filter((from) => TRANSITIONS[from].includes(to));
}

/** Whether a value is a job state. */
export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

/** When a continuation runs relative to its parent's outcome. */
export type ContinuationOn = 'succeeded' | 'failed' | 'finished';

/**
 * What happens to a continuation (waiting with `on`) when its parent is in `parentState`:
 * `release` (enqueue it), `cancel` (delete it: it will never run) or `wait`.
 * Every storage decides continuations with this one function.
 */
export function continuationOutcome(parentState: JobState, on: ContinuationOn): 'release' | 'cancel' | 'wait' {
  switch (parentState) {
    case 'succeeded':
      return on === 'failed' ? 'cancel' : 'release';
    case 'failed':
      // A failed parent may still be retried by an operator and succeed: 'succeeded' children wait.
      return on === 'succeeded' ? 'wait' : 'release';
    case 'deleted':
      return on === 'finished' ? 'release' : 'cancel';
    case 'scheduled':
    case 'enqueued':
    case 'awaiting':
    case 'processing':
      return 'wait';
    default: {
      const never: never = parentState;
      return never;
    }
  }
}

/**
 * The texts of a continuation's history entry when its parent's state settles it: on the parent's
 * change, or at its creation when the parent has finished already. Storages (and the generated Lua)
 * build them from their parts with these functions.
 */
export const CONTINUATION_TEXTS = {
  released: (parentId: string, parentState: string) => `Parent ${parentId} ${parentState}`,
  cancelled: (parentId: string, parentState: string, on: string) => `Parent ${parentId} ${parentState}; this continuation runs only on ${on}`,
  alreadyReleased: (parentId: string, parentState: string) => `Parent ${parentId} already ${parentState}`,
  alreadyCancelled: (parentId: string, parentState: string, on: string) => `Parent ${parentId} already ${parentState}; this continuation runs only on ${on}`,
} as const;

/**
 * The state a new job starts in, and the reason of its first history record: a continuation whose
 * parent has already finished starts released (`enqueued`) or cancelled (`deleted`). Every storage
 * creates jobs through this one function; `parentState` is undefined when the parent is unknown.
 */
export function initialState(
  input: { state: JobState; reason: string; parentId: string | null; continueOn: ContinuationOn | null },
  parentState: JobState | undefined,
): { state: JobState; reason: string } {
  if (input.state !== 'awaiting' || input.parentId === null || input.continueOn === null || parentState === undefined) {
    return { state: input.state, reason: input.reason };
  }
  switch (continuationOutcome(parentState, input.continueOn)) {
    case 'release':
      return { state: 'enqueued', reason: CONTINUATION_TEXTS.alreadyReleased(input.parentId, parentState) };
    case 'cancel':
      return { state: 'deleted', reason: CONTINUATION_TEXTS.alreadyCancelled(input.parentId, parentState, input.continueOn) };
    case 'wait':
      return { state: input.state, reason: input.reason };
  }
}
