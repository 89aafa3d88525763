import { expect } from 'vitest';

import { CREATED, JOB_STATES, TRANSITIONS, WAITING_CHANGES, canTransition } from '@spool/core';
import type { HistoryRecord, JobRecord, JobState, Storage } from '@spool/core';

import { listAllJobs } from './list-all-jobs.js';

/** A transition as `from->to` (`from` may be `created`), as collected from histories. */
export type TransitionEdge = `${JobState | typeof CREATED}->${JobState}`;

/** Every transition in TRANSITIONS, as `from->to` strings. */
export function allTransitionEdges(): TransitionEdge[] {
  return (Object.keys(TRANSITIONS) as Array<JobState | typeof CREATED>).flatMap((from) =>
    TRANSITIONS[from].map((to): TransitionEdge => `${from}->${to}`),
  );
}

/**
 * What is wrong with one job's history: a first record that is not a creation transition, a
 * consecutive pair not in TRANSITIONS, a record of another job, time going backwards, or a last
 * record that disagrees with the job's state. Empty when the history is valid.
 */
export function historyViolations(job: Pick<JobRecord, 'id' | 'state'>, history: readonly HistoryRecord[]): string[] {
  const problems: string[] = [];
  if (history.length === 0) return [`job ${job.id} has no history`];
  let from: JobState | typeof CREATED = CREATED;
  let previousAt = -Infinity;
  for (const [index, record] of history.entries()) {
    if (record.jobId !== job.id) problems.push(`job ${job.id} history[${index}] belongs to job ${record.jobId}`);
    if (!canTransition(from, record.state) && !isWaitingChange(from, record.state)) problems.push(`job ${job.id} history[${index}]: ${from} -> ${record.state} is not in TRANSITIONS`);
    const at = record.at.getTime();
    if (at < previousAt) problems.push(`job ${job.id} history[${index}] is older than the record before it`);
    previousAt = at;
    from = record.state;
  }
  if (from !== job.state) problems.push(`job ${job.id} is ${job.state} but its last history record is ${from}`);
  return problems;
}

/** The transitions a history contains, as `from->to` strings (the first from `created`). */
export function historyEdges(history: readonly HistoryRecord[]): TransitionEdge[] {
  let from: JobState | typeof CREATED = CREATED;
  return history.flatMap((record) => {
    if (isWaitingChange(from, record.state)) return [];
    const edge: TransitionEdge = `${from}->${record.state}`;
    from = record.state;
    return [edge];
  });
}

/** A record in the state before it is a change of a waiting job (`jobChange`), in a state that allows one. */
function isWaitingChange(from: JobState | typeof CREATED, to: JobState): boolean {
  return from === to && WAITING_CHANGES[to].length > 0;
}

/**
 * Checks every stored job: its history follows TRANSITIONS from `created` and ends in its state, and
 * the monitoring counters equal the number of stored jobs per state. Returns every transition seen.
 */
export async function expectValidHistories(storage: Storage): Promise<Set<TransitionEdge>> {
  const jobs = await listAllJobs(storage);
  const problems: string[] = [];
  const edges = new Set<TransitionEdge>();
  const perState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const job of jobs) {
    perState[job.state]++;
    const details = await storage.monitoring.jobDetails({ id: job.id });
    if (!details) {
      problems.push(`job ${job.id} is listed but has no details`);
      continue;
    }
    problems.push(...historyViolations(details.job, details.history));
    for (const edge of historyEdges(details.history)) edges.add(edge);
  }
  expect(problems, 'every history follows TRANSITIONS').toEqual([]);
  expect((await storage.monitoring.stats()).states, 'the counters equal the stored jobs per state').toEqual(perState);
  return edges;
}
