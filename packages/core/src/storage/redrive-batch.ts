import type { RedriveDecision } from '../states/redrive.js';
import { decideRedrive, redriveFactsOfRow } from '../states/redrive.js';
import type { JobState } from '../states/states.js';
import type { DeadLettersRedriveParams, DeadLettersRedriveResult } from './dead-letters-contract.js';

/** One job of a redrive batch that core allowed: its row as read and what to write. */
export interface PlannedRedrive<Row> {
  id: string;
  row: Row;
  state: JobState;
  decision: Extract<RedriveDecision, { ok: true }>;
}

/**
 * Decides a batch of redrives on the rows a SQL storage read (and locked) for them, each as core's
 * `decideRedrive` says, and splits the allowed ones into those the storage may write in one
 * statement (`together` says which) and those that take the one job's transition. A job named twice
 * is decided once; a job with no row, or refused, is in neither list.
 */
export function planRedrives<Row extends Readonly<Record<string, unknown>>>(
  params: DeadLettersRedriveParams,
  byId: ReadonlyMap<string, Row>,
  together: (row: Row) => boolean,
): { together: PlannedRedrive<Row>[]; alone: PlannedRedrive<Row>[] } {
  const decided = new Set<string>();
  const plan = { together: [] as PlannedRedrive<Row>[], alone: [] as PlannedRedrive<Row>[] };
  for (const redrive of params.redrives) {
    const row = byId.get(redrive.id);
    // A job named twice in one batch is redriven once: the second finds it taken.
    if (row === undefined || decided.has(redrive.id)) continue;
    const decision = decideRedrive({ job: redriveFactsOfRow(row), ...(redrive.args !== undefined ? { args: redrive.args } : {}), reason: params.reason });
    if (!decision.ok) continue;
    decided.add(redrive.id);
    (together(row) ? plan.together : plan.alone).push({ id: redrive.id, row, state: row.state as JobState, decision });
  }
  return plan;
}

/**
 * What a redrive batch answers, in the order asked: for each job, whether this call moved it and the
 * state it was read in (null when there is no such job). Only the first mention of a job can have
 * moved it; a later one reports it found enqueued.
 */
export function redriveResults(
  params: DeadLettersRedriveParams,
  byId: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
  moved: ReadonlySet<string>,
): DeadLettersRedriveResult['results'] {
  const reported = new Set<string>();
  return params.redrives.map((redrive) => {
    const row = byId.get(redrive.id);
    const again = reported.has(redrive.id);
    reported.add(redrive.id);
    if (row === undefined) return { id: redrive.id, ok: false, previous: null };
    if (again && moved.has(redrive.id)) return { id: redrive.id, ok: false, previous: 'enqueued' };
    return { id: redrive.id, ok: moved.has(redrive.id) && !again, previous: row.state as JobState };
  });
}
