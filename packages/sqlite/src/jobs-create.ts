import type { JobState, JobsCreateResult, NewJob } from '@spool/core';
import type { FlowColumns } from '@spool/core/storage-kit';
import { JobNotFoundError, STATE_FACTS, decideDuplicate, initialState } from '@spool/core';
import { boundedAdditions, checkQueueRoom } from '@spool/core/storage-kit';

import { jsonOrNull, parametersJson } from './job-row.js';
import { ACTIVE_SQL } from './state-sql.js';
import { InsertShape, RowInserter } from './row-inserter.js';
import type { WriteContext } from './write-context.js';
import { readQueueBounds } from './limits-store.js';
import { changeJob } from './job-updates.js';

// The creation entry of a job's history is kept in its row (initial state and reason, at created_at)
// rather than in spool_history: enqueueing writes one row per job, not two.
// Columns a new job always starts with (attempt 0, no lease, no result...) are left to their defaults:
// fewer values to bind per row.
const JOBS = new InsertShape('spool_jobs', [
  'id',
  'state',
  'queue',
  'priority',
  'enqueue_seq',
  'name',
  'max_attempts',
  'run_at',
  'created_at',
  'updated_at',
  'finished_at',
  'expires_at',
  'timeout_ms',
  'retention_ms',
  'unique_key',
  'parent_id',
  'continue_on',
  'recurring_id',
  'backoff',
  'parameters',
  'args',
  'created_state',
  'created_reason',
]);
// Jobs of a batch or a flow also write what their changes settle (decision 46); other jobs leave
// these columns to their defaults, and their rows are the same as before.
const FLOW_JOBS = new InsertShape('spool_jobs', [...JOBS.columns, 'flow', 'batch_id', 'pending_parents']);
const ACTIVE_HOLDER_SQL = `SELECT id, state FROM spool_jobs WHERE unique_key = ? AND ${ACTIVE_SQL} LIMIT 1`;

/**
 * Creates jobs in the caller's transaction: checks parents first (a missing parent throws before
 * anything is written), returns the active holder of a unique key instead of creating a duplicate,
 * decides continuations against their parent's current state, and writes rows (each with its
 * creation history entry) and counters in bulk. With `bounded` (not for recurring firings), a batch
 * that does not fit its bounded queues is refused with QueueFullError.
 */
export function createJobs(ctx: WriteContext, jobs: readonly NewJob[], flows: readonly FlowColumns[] | null = null, bounded = true): JobsCreateResult['jobs'] {
  const { conn, now, events } = ctx;
  const parentStates = readParents(ctx, jobs);
  // States of the jobs created so far, for continuations of parents in the same batch (if any).
  const batchStates = parentStates === null ? null : new Map<string, JobState>();
  const batchHolders = new Map<string, { id: string; state: JobState }>();
  const rows = new RowInserter(conn, flows === null ? JOBS : FLOW_JOBS);
  const results: JobsCreateResult['jobs'] = [];
  // Bounded queues: sizes read before this batch counts itself; a batch that does not fit throws
  // before the write commits, so the whole batch is rolled back (all or none).
  const bounds = bounded ? readQueueBounds(conn, new Set(jobs.map((j) => j.queue))) : new Map<string, number>();
  const sizes = bounds.size === 0 ? null : new Map([...bounds.keys()].map((queue) => [queue, ctx.queueSize(queue)]));
  const created: Array<{ queue: string; state: JobState }> = [];
  for (const [index, input] of jobs.entries()) {
    if (input.uniqueKey !== null) {
      const inBatch = batchHolders.get(input.uniqueKey);
      const holder = inBatch ?? (conn.stmt(ACTIVE_HOLDER_SQL).get(input.uniqueKey) as { id: string; state: JobState } | undefined);
      // A holder of this batch is kept; a stored one is replaced or gives its key up as core decides.
      const duplicate = holder === undefined || inBatch !== undefined ? ({ action: 'keep' } as const) : decideDuplicate(holder, input);
      if (duplicate.action === 'replace') changeJob(ctx, { id: holder!.id, change: duplicate.change, cause: 'duplicate' });
      if (holder !== undefined && duplicate.action !== 'take-over') {
        results.push({ id: holder.id, created: false, state: holder.state });
        continue;
      }
      if (duplicate.action === 'take-over') conn.stmt('UPDATE spool_jobs SET unique_key = NULL WHERE id = ?').run(holder!.id);
    }
    // A parent earlier in this batch counts with the state it was created in.
    const parentState = input.parentId === null ? undefined : (batchStates?.get(input.parentId) ?? parentStates?.get(input.parentId));
    const { state, reason } = initialState(input, parentState);
    const finished = state === 'deleted';
    rows.add(
      input.id,
      state,
      input.queue,
      input.priority,
      state === 'enqueued' ? ctx.nextSeq() : 0,
      input.name,
      input.maxAttempts,
      input.runAt === null ? null : new Date(input.runAt).getTime(),
      now,
      now,
      finished ? now : null,
      finished && input.retentionMs !== null ? now + input.retentionMs : null,
      input.timeoutMs,
      input.retentionMs,
      input.uniqueKey,
      input.parentId,
      input.continueOn,
      input.recurringId,
      jsonOrNull(input.backoff),
      parametersJson(input.parameters),
      JSON.stringify(input.args),
      state,
      reason,
      ...(flows === null ? [] : flowValues(flows[index]!)),
    );
    ctx.created(state, input.queue);
    if (state === 'enqueued') events.enqueued(input.queue);
    else if (state === 'scheduled' && input.runAt !== null) events.scheduled(new Date(input.runAt).getTime());
    batchStates?.set(input.id, state);
    if (input.uniqueKey !== null && STATE_FACTS[state].active) batchHolders.set(input.uniqueKey, { id: input.id, state });
    results.push({ id: input.id, created: true, state });
    if (sizes !== null) created.push({ queue: input.queue, state });
  }
  if (sizes !== null) checkQueueRoom(bounds, boundedAdditions(bounds, created), (queue) => sizes.get(queue) ?? 0);
  rows.flush();
  return results;
}

function flowValues(columns: FlowColumns): unknown[] {
  return [columns.flow, columns.batchId, columns.pending];
}

/**
 * The current state of every parent outside the batch (null when no job has a parent); throws
 * JobNotFoundError for a missing one.
 */
function readParents(ctx: WriteContext, jobs: readonly NewJob[]): Map<string, JobState> | null {
  let states: Map<string, JobState> | null = null;
  let inBatch: Set<string> | null = null;
  for (const job of jobs) {
    if (job.parentId === null) continue;
    states ??= new Map<string, JobState>();
    if (states.has(job.parentId)) continue;
    inBatch ??= new Set(jobs.map((j) => j.id));
    if (inBatch.has(job.parentId)) continue;
    const row = ctx.conn.stmt('SELECT state FROM spool_jobs WHERE id = ?').get(job.parentId) as { state: JobState } | undefined;
    if (row === undefined) throw new JobNotFoundError(job.parentId);
    states.set(job.parentId, row.state);
  }
  return states;
}
