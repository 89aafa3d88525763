/**
 * The part of the storage contract that keeps the dead letters: failed jobs whose attempts ran out
 * and whose definition routes them there (`onExhausted: 'dead-letter'`), listed and counted by job
 * name and error, and redriven into their queue (decision 42). Only with the `deadLetters`
 * capability.
 */
import type { JobRecord, Json } from '../job/records.js';
import type { JobState } from '../states/states.js';

/** Which dead letters an operation is about. Every field narrows; none: all of them. */
export interface DeadLetterFilter {
  /** The job name, exactly. */
  name?: string;
  /** The error's name (its type: `TypeError`, `HttpError`), exactly. */
  errorName?: string;
  /** A piece of the error's message (case-sensitive). */
  message?: string;
  /** Dead-lettered at or after this time. */
  from?: Date;
  /** Dead-lettered at or before this time. */
  to?: Date;
}

/** Input of `Storage.deadLettersList`. */
export interface DeadLettersListParams extends DeadLetterFilter {
  limit: number;
  cursor?: string | null;
}

/** Output of `Storage.deadLettersList`: newest first by id. */
export interface DeadLettersListResult {
  jobs: JobRecord[];
  nextCursor: string | null;
}

/** The dead letters of one job name and error name, counted. */
export interface DeadLetterGroup {
  name: string;
  errorName: string;
  count: number;
  /** When the latest of them was dead-lettered. */
  lastAt: Date;
}

/** Input of `Storage.deadLettersGroups`. */
export interface DeadLettersGroupsParams {
  /** Only the dead letters of this job name. */
  name?: string;
  /** At most this many groups, the largest first. */
  limit: number;
}

/** One job to redrive, with the arguments to run it with when they are edited. */
export interface DeadLetterRedrive {
  id: string;
  /** New arguments (checked by the client as enqueue checks them); absent: the job keeps its own. */
  args?: Json;
}

/** Input of `Storage.deadLettersRedrive`: one bounded batch, written in one commit. */
export interface DeadLettersRedriveParams {
  redrives: DeadLetterRedrive[];
  /** The reason written in each redriven job's history. */
  reason: string;
}

/** What became of one job of a redrive. */
export interface DeadLetterRedriveResult {
  id: string;
  /** Whether the job was moved from the dead letters to its queue by this call. */
  ok: boolean;
  /** The state found; null when the job does not exist. */
  previous: JobState | null;
}

/** Output of `Storage.deadLettersRedrive`, one entry per redrive, in order. */
export interface DeadLettersRedriveResult {
  results: DeadLetterRedriveResult[];
}

/** Most jobs one `deadLettersRedrive` call takes: a larger redrive is a sequence of such batches. */
export const DEAD_LETTER_REDRIVE_BATCH = 500;

/** The largest groups first; equal counts by job name, then error name. */
export function byCountThenName(a: DeadLetterGroup, b: DeadLetterGroup): number {
  return b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.errorName < b.errorName ? -1 : a.errorName > b.errorName ? 1 : 0);
}
