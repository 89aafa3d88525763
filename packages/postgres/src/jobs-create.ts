import type { JobState, JobsCreateResult, NewJob } from '@spool/core';
import type { FlowColumns } from '@spool/core/storage-kit';
import { JobNotFoundError, initialState } from '@spool/core';

import { jsonOrNull, parametersJson } from './job-row.js';
import { nowSql } from './jobs-fetch.js';
import { ACTIVE_STATES_SQL } from './state-guard.js';
import type { WriteContext } from './write-context.js';
import { checkRoom } from './queue-room.js';
import { settleDuplicates } from './duplicates.js';


// One statement creates the whole batch: rows from arrays (one bind per column, not per value), each
// with its creation history entry in its own columns (created_state, created_reason), the counters,
// and (for a write on its own) the NOTIFY.
// A job whose unique key an active job holds is skipped by the unique index (ON CONFLICT), so two
// servers enqueueing the same key at once still create one job.
// Jobs of a batch or a flow (decision 46) bring three more arrays: flow bits, batch, pending dependencies.
const createSql = (s: string, notify: boolean, flows: boolean): string => {
  const f = notify ? 22 : 20;
  return `WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::bigint[], $8::bigint[],
    $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[]${flows ? `, $${f}::smallint[], $${f + 1}::text[], $${f + 2}::int[]` : ''})
    AS u(id, state, queue, name, priority, max_attempts, run_at, timeout_ms, retention_ms, unique_key, parent_id,
         continue_on, recurring_id, backoff, parameters, args, reason${flows ? ', flow, batch_id, pending_parents' : ''})
), t AS (SELECT ${nowSql(18)} AS now
), ins AS (
  INSERT INTO ${s}.jobs (id, state, queue, name, priority, enqueue_seq, max_attempts, run_at, created_at, updated_at,
    finished_at, expires_at, timeout_ms, retention_ms, unique_key, parent_id, continue_on, recurring_id, backoff, parameters, args,
    created_state, created_reason${flows ? ', flow, batch_id, pending_parents' : ''})
  SELECT id, state, queue, name, priority, CASE WHEN state = 'enqueued' THEN nextval('${s}.enqueue_seq') ELSE 0 END,
    max_attempts, run_at, t.now, t.now, CASE WHEN state = 'deleted' THEN t.now END,
    CASE WHEN state = 'deleted' THEN t.now + retention_ms END, timeout_ms, retention_ms, unique_key, parent_id,
    continue_on, recurring_id, backoff, parameters, args, state, reason${flows ? ', flow, batch_id, pending_parents' : ''}
  FROM input, t
  ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ${ACTIVE_STATES_SQL} DO NOTHING
  RETURNING id, state, queue, created_at
), c AS (
  INSERT INTO ${s}.counters (key, shard, value)
  SELECT k, $19, sum(v) FROM (
    SELECT 'state:' || state AS k, 1 AS v FROM ins UNION ALL SELECT 'queue:' || queue, 1 FROM ins WHERE state = 'enqueued'
  ) x GROUP BY k ORDER BY k
  ON CONFLICT (key, shard) DO UPDATE SET value = counters.value + excluded.value
)${notify ? `, n AS (SELECT pg_notify($20, $21) AS n WHERE $21::text IS NOT NULL)` : ''}
SELECT id, state${notify ? ', (SELECT count(*) FROM n) AS notified' : ''} FROM ins`;
};

/**
 * Creates jobs in the caller's write: checks parents first (a missing parent throws before anything
 * is written), decides continuations against their parent's current state, and writes rows, history
 * and counters in one statement. A job whose unique key is held by an active job is not created: its
 * entry names the holder. With `bounded` (a queue of the batch may be bounded), it first checks, in
 * the same transaction, that the batch fits ({@link checkRoom}). With `notify`, the statement also
 * sends the write's NOTIFY (for a write that is this one statement); otherwise the events are left
 * in `ctx` for its flush.
 */
export async function createJobs(
  ctx: WriteContext,
  jobs: readonly NewJob[],
  notify: boolean,
  bounded = false,
  flows: readonly FlowColumns[] | null = null,
): Promise<JobsCreateResult['jobs']> {
  // A replace writes before the bound is checked: a refusal must undo it, in a caller's transaction too.
  const guarded = bounded && jobs.some((j) => j.onDuplicate === 'replace');
  if (!guarded) return createChecked(ctx, jobs, notify, bounded, flows);
  await ctx.db.run('SAVEPOINT spool_create');
  try {
    const created = await createChecked(ctx, jobs, notify, bounded, flows);
    await ctx.db.run('RELEASE SAVEPOINT spool_create');
    return created;
  } catch (error) {
    await ctx.db.run('ROLLBACK TO SAVEPOINT spool_create');
    throw error;
  }
}

async function createChecked(ctx: WriteContext, jobs: readonly NewJob[], notify: boolean, bounded: boolean, flows: readonly FlowColumns[] | null): Promise<JobsCreateResult['jobs']> {
  await settleDuplicates(ctx, jobs);
  const parentStates = await readParents(ctx, jobs);
  const batchStates = parentStates === null ? null : new Map<string, JobState>();
  const cols: unknown[][] = Array.from({ length: 17 }, () => new Array<unknown>(jobs.length));
  const planned: JobState[] = [];
  jobs.forEach((input, i) => {
    // A parent earlier in this batch counts with the state it was created in.
    const parentState = input.parentId === null ? undefined : (batchStates?.get(input.parentId) ?? parentStates?.get(input.parentId));
    const { state, reason } = initialState(input, parentState);
    batchStates?.set(input.id, state);
    planned.push(state);
    const values = [
      input.id,
      state,
      input.queue,
      input.name,
      input.priority,
      input.maxAttempts,
      input.runAt === null ? null : new Date(input.runAt).getTime(),
      input.timeoutMs,
      input.retentionMs,
      input.uniqueKey,
      input.parentId,
      input.continueOn,
      input.recurringId,
      jsonOrNull(input.backoff),
      parametersJson(input.parameters),
      JSON.stringify(input.args),
      reason,
    ];
    for (let c = 0; c < 17; c++) cols[c]![i] = values[c];
  });
  // A queue that may be bounded: refused before anything is written when the batch does not fit.
  if (bounded) await checkRoom(ctx, jobs, planned);
  // The events this write would cause; a job skipped for its unique key makes at worst a spurious wake-up.
  jobs.forEach((input, i) => {
    if (planned[i] === 'enqueued') ctx.events.enqueued(input.queue);
    else if (planned[i] === 'scheduled' && input.runAt !== null) ctx.events.scheduled(new Date(input.runAt).getTime());
  });
  const values: unknown[] = [...cols, ctx.nowParam, ctx.shard];
  if (notify) values.push(ctx.channel, ctx.events.payload(ctx.sender));
  if (flows !== null) values.push(flows.map((f) => f.flow), flows.map((f) => f.batchId), flows.map((f) => f.pending));
  const rows = await ctx.db.run(createSql(ctx.s, notify, flows !== null), values, true);
  const created = new Map<string, JobState>();
  for (const row of rows) created.set(row.id as string, row.state as JobState);
  await markAwaitedParents(ctx, jobs, created);
  const results: JobsCreateResult['jobs'] = [];
  let holders: Map<string, { id: string; state: JobState }> | null = null;
  for (const input of jobs) {
    const state = created.get(input.id);
    if (state !== undefined) {
      results.push({ id: input.id, created: true, state });
      continue;
    }
    holders ??= await readHolders(ctx, jobs.filter((j) => !created.has(j.id)));
    const holder = input.uniqueKey === null ? undefined : holders.get(input.uniqueKey);
    if (holder === undefined) throw new Error(`job ${input.id} was neither created nor found to have an active unique key holder`);
    results.push({ id: holder.id, created: false, state: holder.state });
  }
  return results;
}

/**
 * Marks the parents that a created continuation waits for (`awaited`, migration 6), in the
 * creating transaction: a batch of successes leaves marked jobs to the transaction that settles
 * continuations. Parents outside the batch are locked already (readParents).
 */
async function markAwaitedParents(ctx: WriteContext, jobs: readonly NewJob[], created: ReadonlyMap<string, JobState>): Promise<void> {
  const parents = new Set<string>();
  for (const job of jobs) if (job.parentId !== null && created.get(job.id) === 'awaiting') parents.add(job.parentId);
  if (parents.size === 0) return;
  await ctx.db.run(`UPDATE ${ctx.s}.jobs SET awaited = true WHERE id = ANY($1::text[]) AND NOT awaited`, [[...parents].sort()]);
}

/** The active holders of the unique keys of jobs that were not created. */
async function readHolders(ctx: WriteContext, jobs: readonly NewJob[]): Promise<Map<string, { id: string; state: JobState }>> {
  const keys = [...new Set(jobs.map((j) => j.uniqueKey).filter((k): k is string => k !== null))];
  const rows = await ctx.db.run(`SELECT id, state, unique_key FROM ${ctx.s}.jobs WHERE unique_key = ANY($1::text[]) AND state IN ${ACTIVE_STATES_SQL}`, [keys]);
  return new Map(rows.map((r) => [r.unique_key as string, { id: r.id as string, state: r.state as JobState }]));
}

/**
 * The current state of every parent outside the batch (null when no job has a parent); throws
 * JobNotFoundError for a missing one. Parents are locked: a parent cannot finish (and settle its
 * continuations) between this read and the commit that creates its children. The lock is the one an
 * update takes, not a share lock, because creating an awaiting child updates its parent (the
 * `awaited` mark of migration 6): two creators holding share locks on one parent would deadlock there.
 */
async function readParents(ctx: WriteContext, jobs: readonly NewJob[]): Promise<Map<string, JobState> | null> {
  const inBatch = new Set(jobs.map((j) => j.id));
  const wanted = new Set<string>();
  for (const job of jobs) if (job.parentId !== null && !inBatch.has(job.parentId)) wanted.add(job.parentId);
  if (wanted.size === 0) return jobs.some((j) => j.parentId !== null) ? new Map() : null;
  const rows = await ctx.db.run(`SELECT id, state FROM ${ctx.s}.jobs WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`, [[...wanted]]);
  const states = new Map(rows.map((r) => [r.id as string, r.state as JobState]));
  for (const id of wanted) if (!states.has(id)) throw new JobNotFoundError(id);
  return states;
}
