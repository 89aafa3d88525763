import type { JobState, JobsCreateResult, NewJob } from '@spool/core';
import type { FlowColumns } from '@spool/core/storage-kit';
import { JobNotFoundError, STATE_FACTS, initialState } from '@spool/core';

import { jsonOrNull, parametersJson } from './job-row.js';
import { isDuplicateIn } from './translate-error.js';
import type { WriteContext } from './write-context.js';
import { checkRoom } from './queue-room.js';
import { settleDuplicates } from './duplicates.js';

const COLUMNS = `id, state, queue, name, priority, enqueue_seq, max_attempts, run_at, created_at, updated_at, finished_at, expires_at,
  timeout_ms, retention_ms, unique_key, parent_id, continue_on, recurring_id, occurrence_at, backoff, parameters, args, created_state, created_reason,
  flow, batch_id, pending_parents`;

/** Rows per INSERT, and characters of JSON per INSERT: well below the default `max_allowed_packet` (16 MB on MariaDB, 64 MB on MySQL 8). */
const MAX_ROWS = 500;
const MAX_CHARS = 4_000_000;
/** How often a batch is planned again after a concurrent enqueue took one of its unique keys first. */
const KEY_RACE_RETRIES = 5;
const SAVEPOINT = 'spool_create_jobs';

/** A job that was not created, and the active job holding its key. */
type Holder = { id: string; state: JobState };

/**
 * Creates jobs in the caller's transaction (the storage's own, or the application's): checks
 * parents first (a missing parent throws before anything is written), returns the active holder of
 * a unique key instead of creating a duplicate, decides continuations against their parent's
 * current state, and writes rows (each with its creation history entry in its own columns) and
 * counters. `occurrences` gives the recurring occurrence (ms) of jobs a recurring firing creates.
 * With `bounded` (a queue of the batch may be bounded), a batch that does not fit its bounded queues
 * is refused with QueueFullError before anything is written ({@link checkRoom}).
 *
 * Two transactions enqueueing the same key at once: the unique index of held keys makes the later
 * insert wait for the earlier commit and then refuses it; the batch goes back to a savepoint and is
 * planned again, now seeing the holder (read with a locking read, which sees the newest commit even
 * in an application's REPEATABLE READ transaction).
 */
export async function createJobs(
  ctx: WriteContext,
  jobs: readonly NewJob[],
  occurrences?: ReadonlyMap<string, number>,
  bounded = false,
  flows?: ReadonlyMap<string, FlowColumns>,
): Promise<JobsCreateResult['jobs']> {
  // A replace writes before the bound is checked: a refusal must undo it, in a caller's transaction too.
  const guarded = bounded && jobs.some((j) => j.onDuplicate === 'replace');
  if (!guarded) return createSettled(ctx, jobs, occurrences, bounded, flows);
  await ctx.db.exec('SAVEPOINT spool_create_replacing');
  try {
    return await createSettled(ctx, jobs, occurrences, bounded, flows);
  } catch (error) {
    await ctx.db.exec('ROLLBACK TO SAVEPOINT spool_create_replacing');
    throw error;
  }
}

async function createSettled(
  ctx: WriteContext,
  jobs: readonly NewJob[],
  occurrences: ReadonlyMap<string, number> | undefined,
  bounded: boolean,
  flows: ReadonlyMap<string, FlowColumns> | undefined,
): Promise<JobsCreateResult['jobs']> {
  await settleDuplicates(ctx, jobs);
  const parentStates = await readParents(ctx, jobs);
  const keyed = jobs.some((j) => j.uniqueKey !== null);
  if (keyed) await ctx.db.exec(`SAVEPOINT ${SAVEPOINT}`);
  for (let attempt = 1; ; attempt++) {
    const holders = keyed ? await readHolders(ctx, jobs, attempt > 1) : new Map<string, Holder>();
    try {
      return await insertJobs(ctx, jobs, parentStates, holders, occurrences, bounded, flows);
    } catch (error) {
      if (!(keyed && attempt < KEY_RACE_RETRIES && isDuplicateIn(error, 'jobs_unique_hold'))) throw error;
      await ctx.db.exec(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    }
  }
}

async function insertJobs(
  ctx: WriteContext,
  jobs: readonly NewJob[],
  parentStates: ReadonlyMap<string, JobState> | null,
  holders: Map<string, Holder>,
  occurrences: ReadonlyMap<string, number> | undefined,
  bounded: boolean,
  flows: ReadonlyMap<string, FlowColumns> | undefined,
): Promise<JobsCreateResult['jobs']> {
  const { now } = ctx;
  // States of the jobs created so far, for continuations of parents in the same batch (if any).
  const batchStates = parentStates === null ? null : new Map<string, JobState>();
  const results: JobsCreateResult['jobs'] = [];
  const creating: Array<{ job: NewJob; state: JobState; reason: string }> = [];
  for (const input of jobs) {
    const holder = input.uniqueKey === null ? undefined : holders.get(input.uniqueKey);
    if (holder !== undefined) {
      results.push({ id: holder.id, created: false, state: holder.state });
      continue;
    }
    // A parent earlier in this batch counts with the state it was created in.
    const parentState = input.parentId === null ? undefined : (batchStates?.get(input.parentId) ?? parentStates?.get(input.parentId));
    const { state, reason } = initialState(input, parentState);
    batchStates?.set(input.id, state);
    if (input.uniqueKey !== null && STATE_FACTS[state].active) holders.set(input.uniqueKey, { id: input.id, state });
    creating.push({ job: input, state, reason });
    results.push({ id: input.id, created: true, state });
  }
  // A queue that may be bounded: refused before anything is written when the batch does not fit.
  if (bounded) await checkRoom(ctx, creating);
  const enqueued = creating.filter((c) => c.state === 'enqueued').length;
  let seq = enqueued > 0 ? await ctx.drawPositions(enqueued) : 0;
  let rows: unknown[][] = [];
  let chars = 0;
  const flush = async (): Promise<void> => {
    if (rows.length > 0) await ctx.db.exec(`INSERT INTO ${ctx.t.jobs} (${COLUMNS}) VALUES ?`, [rows]);
    rows = [];
    chars = 0;
  };
  for (const { job, state, reason } of creating) {
    const finished = state === 'deleted';
    const args = JSON.stringify(job.args);
    const parameters = parametersJson(job.parameters);
    rows.push([
      job.id,
      state,
      job.queue,
      job.name,
      job.priority,
      state === 'enqueued' ? seq++ : 0,
      job.maxAttempts,
      job.runAt === null ? null : new Date(job.runAt).getTime(),
      now,
      now,
      finished ? now : null,
      finished && job.retentionMs !== null ? now + job.retentionMs : null,
      job.timeoutMs,
      job.retentionMs,
      job.uniqueKey,
      job.parentId,
      job.continueOn,
      job.recurringId,
      occurrences?.get(job.id) ?? null,
      jsonOrNull(job.backoff),
      parameters,
      args,
      state,
      reason,
      flows?.get(job.id)?.flow ?? 0,
      flows?.get(job.id)?.batchId ?? null,
      flows?.get(job.id)?.pending ?? 0,
    ]);
    chars += args.length + parameters.length + reason.length;
    if (rows.length >= MAX_ROWS || chars >= MAX_CHARS) await flush();
  }
  await flush();
  for (const { job, state } of creating) {
    ctx.created(state, job.queue);
    if (state === 'enqueued') ctx.events.enqueued(job.queue);
    else if (state === 'scheduled' && job.runAt !== null) ctx.events.scheduled(new Date(job.runAt).getTime());
  }
  return results;
}

/** The active holders of the unique keys of `jobs`, by key; `locking` reads the newest commit. */
async function readHolders(ctx: WriteContext, jobs: readonly NewJob[], locking: boolean): Promise<Map<string, Holder>> {
  const keys = [...new Set(jobs.map((j) => j.uniqueKey).filter((k): k is string => k !== null))];
  const rows = await ctx.db.rows(
    `SELECT id, state, unique_key FROM ${ctx.t.jobs} WHERE unique_hold IN (${keys.map(() => 'UNHEX(SHA2(?, 256))').join(', ')})${locking ? ' LOCK IN SHARE MODE' : ''}`,
    keys,
  );
  const holders = new Map<string, Holder>();
  // The hash finds the row; the key itself is compared exactly here.
  for (const r of rows) if (keys.includes(r.unique_key as string)) holders.set(r.unique_key as string, { id: r.id as string, state: r.state as JobState });
  return holders;
}

/**
 * The current state of every parent outside the batch (null when no job has a parent); throws
 * JobNotFoundError for a missing one. Parents are share-locked: a parent cannot finish (and settle
 * its continuations) between this read and the commit that creates its children, and two creators
 * of children of one parent do not wait for each other.
 */
async function readParents(ctx: WriteContext, jobs: readonly NewJob[]): Promise<Map<string, JobState> | null> {
  if (!jobs.some((j) => j.parentId !== null)) return null;
  const inBatch = new Set(jobs.map((j) => j.id));
  const wanted = new Set<string>();
  for (const job of jobs) if (job.parentId !== null && !inBatch.has(job.parentId)) wanted.add(job.parentId);
  if (wanted.size === 0) return new Map();
  const rows = await ctx.db.rows(`SELECT id, state FROM ${ctx.t.jobs} WHERE id IN (?) ORDER BY id LOCK IN SHARE MODE`, [[...wanted]]);
  const states = new Map(rows.map((r) => [r.id as string, r.state as JobState]));
  for (const id of wanted) if (!states.has(id)) throw new JobNotFoundError(id);
  return states;
}
