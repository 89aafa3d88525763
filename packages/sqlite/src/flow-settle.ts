import type { BatchCounts, DependencyParentKind, DependencyPolicy, JobState, StateChange } from '@spool/core';
import { batchFinishes, dependencyIntent } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import { FLOW_PARENT } from '@spool/core/storage-kit';
import type { TransitionSpec } from './job-transition.js';
import type { WriteContext } from './write-context.js';

/** How a settle moves a child: the storage's one transition. */
export type MoveJob = (ctx: WriteContext, spec: TransitionSpec, events: EventBatch) => boolean;

const COUNT_SQL = `UPDATE spool_batches SET finished = finished + ?, succeeded = succeeded + ?, failed = failed + ?
WHERE id = ? RETURNING total, finished, succeeded, failed, finished_at AS finishedAt, parent_batch_id AS parentBatchId`;

/**
 * What a job of a batch or a flow adds to its change, in the same transaction, as core decides:
 * its batch's counters (`change.batch`) and, once it has finished, its dependents. Only jobs whose
 * row says so (`flow` is not 0) come here.
 */
export function settleFlow(ctx: WriteContext, id: string, change: StateChange, flow: number, batchId: string | null, events: EventBatch, move: MoveJob): void {
  if (change.batch !== null && batchId !== null) countInBatch(ctx, batchId, change.batch, events, move);
  if (change.settleContinuations && (flow & FLOW_PARENT) !== 0) settleDependents(ctx, 'job', id, change.to, events, move);
}

/** Adds a member's change to its batch; a batch that finishes settles its dependents and counts in its own parent. */
function countInBatch(ctx: WriteContext, batchId: string, delta: BatchCounts, events: EventBatch, move: MoveJob): void {
  const row = ctx.conn.stmt(COUNT_SQL).get(delta.finished, delta.succeeded, delta.failed, batchId) as
    | { total: number; finished: number; succeeded: number; failed: number; finishedAt: number | null; parentBatchId: string | null }
    | undefined;
  if (row === undefined) return;
  const finish = batchFinishes(row);
  if (finish === null) return;
  ctx.conn.stmt('UPDATE spool_batches SET finished_at = ? WHERE id = ?').run(ctx.now, batchId);
  settleDependents(ctx, 'batch', batchId, finish.state, events, move);
  if (row.parentBatchId !== null) countInBatch(ctx, row.parentBatchId, finish.parentDelta, events, move);
}

/** Settles (and removes) every dependency on a parent that has just finished in `parentState`. */
function settleDependents(ctx: WriteContext, kind: DependencyParentKind, parentId: string, parentState: JobState, events: EventBatch, move: MoveJob): void {
  const edges = ctx.conn.stmt('DELETE FROM spool_dependencies WHERE parent_id = ? RETURNING child_id AS childId, policy').all(parentId) as Array<{
    childId: string;
    policy: DependencyPolicy;
  }>;
  const countDown = ctx.conn.pluck("UPDATE spool_jobs SET pending_parents = pending_parents - 1 WHERE id = ? AND state = 'awaiting' RETURNING pending_parents");
  for (const edge of edges) {
    const pending = countDown.get(edge.childId) as number | undefined;
    // A child that is no longer waiting (settled by another parent, deleted) is left as it is.
    if (pending === undefined) continue;
    const intent = dependencyIntent(kind, parentId, parentState, edge.policy, pending);
    if (intent !== null) move(ctx, { id: edge.childId, from: 'awaiting', intent, serverId: null }, events);
  }
}
