import type { ErrorRecord } from '../job/records.js';
import type { ChangeIntent } from '../states/change-intents.js';
import type { JobState } from '../states/states.js';
import { STATE_FACTS } from '../states/states.js';

/**
 * What a waiting job does when a parent it depends on finishes without success (failed, or
 * deleted): `fail` (it fails too, and so do its own dependents that say `fail`), `skip` (it is
 * deleted with a reason and never runs) or `run` (the dependency counts as met: it runs anyway).
 */
export type DependencyPolicy = 'fail' | 'skip' | 'run';

/** Every dependency policy. */
export const DEPENDENCY_POLICIES: readonly DependencyPolicy[] = ['fail', 'skip', 'run'];

/** What a waiting job depends on: a job, or a whole batch (its continuation). */
export type DependencyParentKind = 'job' | 'batch';

/** One edge of a batch or a flow: `childId` waits for `parentId` to finish. */
export interface Dependency {
  childId: string;
  parentId: string;
  parentKind: DependencyParentKind;
  policy: DependencyPolicy;
}

/** The error stored with a step failed because a parent it depends on did not succeed. */
export function dependencyError(parentKind: DependencyParentKind, parentId: string, parentState: JobState): ErrorRecord {
  return {
    name: 'DependencyFailedError',
    code: 'ERR_DEPENDENCY_FAILED',
    message: `The ${parentKind} ${parentId} this job depends on ${parentState}, and the dependency's policy is "fail".`,
  };
}

/** The texts of a dependent's history entry when a parent settles it. Storages (and generated Lua) build them with these. */
export const DEPENDENCY_TEXTS = {
  released: (parentKind: string, parentId: string, parentState: string) => `Parent ${parentKind} ${parentId} ${parentState}; every dependency is met`,
  failed: (parentKind: string, parentId: string, parentState: string) => `Parent ${parentKind} ${parentId} ${parentState}; this dependency fails the job`,
  skipped: (parentKind: string, parentId: string, parentState: string) => `Parent ${parentKind} ${parentId} ${parentState}; this dependency skips the job`,
} as const;

/**
 * What a dependency does once its parent has finished in `parentState`: `met` (the child waits one
 * parent fewer), `fail` or `skip` (the child leaves at once), or `wait` (the parent has not finished).
 */
export function dependencyOutcome(parentState: JobState, policy: DependencyPolicy): 'met' | 'fail' | 'skip' | 'wait' {
  if (!STATE_FACTS[parentState].finished) return 'wait';
  if (parentState === 'succeeded' || policy === 'run') return 'met';
  return policy;
}

/**
 * The change of a waiting child whose dependency on `parentId` has just settled with the parent in
 * `parentState`, given how many dependencies the child still waits for once this one is counted
 * (`pendingAfter`): released when none is left, failed or deleted when the policy says so, or none
 * (it keeps waiting for the others). A storage counts the dependency down and removes its edge in
 * the parent's write, then applies this change to a child still `awaiting`: a child settled once is
 * never settled again, however many parents finish at the same time.
 */
export function dependencyIntent(
  parentKind: DependencyParentKind,
  parentId: string,
  parentState: JobState,
  policy: DependencyPolicy,
  pendingAfter: number,
): ChangeIntent | null {
  const data = { parentId, parentKind };
  switch (dependencyOutcome(parentState, policy)) {
    case 'wait':
      return null;
    case 'met':
      return pendingAfter > 0
        ? null
        : { to: 'enqueued', cause: { kind: 'parent', parentId }, reason: DEPENDENCY_TEXTS.released(parentKind, parentId, parentState), data };
    case 'fail':
      return {
        to: 'failed',
        cause: { kind: 'parent', parentId, error: dependencyError(parentKind, parentId, parentState) },
        reason: DEPENDENCY_TEXTS.failed(parentKind, parentId, parentState),
        data,
      };
    case 'skip':
      return { to: 'deleted', cause: { kind: 'parent', parentId }, reason: DEPENDENCY_TEXTS.skipped(parentKind, parentId, parentState), data };
  }
}
