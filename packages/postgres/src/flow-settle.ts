import type { BatchCounts, DependencyParentKind, DependencyPolicy, JobState, StateChange } from '@spool/core';
import { batchFinishes, dependencyIntent } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import type { Row } from './executor.js';
import { FLOW_PARENT } from '@spool/core/storage-kit';
import type { TransitionSpec } from './job-transition.js';
import { inState } from './state-guard.js';
import type { WriteContext } from './write-context.js';

/** How a settle moves a child: the storage's one transition. */
export type MoveJob = (ctx: WriteContext, spec: TransitionSpec, events: EventBatch) => Promise<boolean>;

/**
 * What a job of a batch or a flow adds to its change, in the same transaction, as core decides:
 * its batch's counters (`change.batch`) and, once it has finished, its dependents. Only jobs whose
 * row says so (`flow` is not 0) come here. The batch's row is locked by its update until the
 * commit, so members finishing at once count one after the other and exactly one of them sees the
 * batch finish; each child's row is locked by its count-down, in child id order (no deadlock
 * between two parents settling the same children).
 */
export async function settleFlow(ctx: WriteContext, id: string, change: StateChange, flow: number, batchId: string | null, events: EventBatch, move: MoveJob): Promise<void> {
  if (change.batch !== null && batchId !== null) await countInBatch(ctx, batchId, change.batch, events, move);
  if (change.settleContinuations && (flow & FLOW_PARENT) !== 0) await settleDependents(ctx, 'job', id, change.to, events, move);
}

async function countInBatch(ctx: WriteContext, batchId: string, delta: BatchCounts, events: EventBatch, move: MoveJob): Promise<void> {
  const [row] = await ctx.db.run(
    `UPDATE ${ctx.s}.batches SET finished = finished + $1, succeeded = succeeded + $2, failed = failed + $3 WHERE id = $4
     RETURNING total, finished, succeeded, failed, finished_at, parent_batch_id`,
    [delta.finished, delta.succeeded, delta.failed, batchId],
  );
  if (row === undefined) return;
  await finishIfDone(ctx, { ...row, id: batchId }, events, move);
}

/**
 * Finishes a batch whose counters (as just written, `row`) say every member finished, as
 * `batchFinishes` decides: records when, settles its dependents, and counts it in its parent.
 */
export async function finishIfDone(ctx: WriteContext, row: Row, events: EventBatch, move: MoveJob): Promise<void> {
  const finishedAt = row.finished_at === null ? null : Number(row.finished_at);
  const finish = batchFinishes({ total: row.total as number, finished: row.finished as number, succeeded: row.succeeded as number, failed: row.failed as number, finishedAt });
  if (finish === null) return;
  const batchId = row.id as string;
  await ctx.db.run(`UPDATE ${ctx.s}.batches SET finished_at = $1 WHERE id = $2`, [ctx.now, batchId]);
  await settleDependents(ctx, 'batch', batchId, finish.state, events, move);
  if (row.parent_batch_id !== null) await countInBatch(ctx, row.parent_batch_id as string, finish.parentDelta, events, move);
}

async function settleDependents(ctx: WriteContext, kind: DependencyParentKind, parentId: string, parentState: JobState, events: EventBatch, move: MoveJob): Promise<void> {
  const edges = await ctx.db.run(`DELETE FROM ${ctx.s}.dependencies WHERE parent_id = $1 RETURNING child_id, policy`, [parentId]);
  edges.sort((a, b) => ((a.child_id as string) < (b.child_id as string) ? -1 : 1));
  for (const edge of edges) {
    const childId = edge.child_id as string;
    const [counted] = await ctx.db.run(
      `UPDATE ${ctx.s}.jobs SET pending_parents = pending_parents - 1 WHERE id = $1 AND ${inState('state', 'awaiting')} RETURNING pending_parents`,
      [childId],
    );
    // A child that is no longer waiting (settled by another parent, deleted) is left as it is.
    if (counted === undefined) continue;
    const intent = dependencyIntent(kind, parentId, parentState, edge.policy as DependencyPolicy, counted.pending_parents as number);
    if (intent !== null) await move(ctx, { id: childId, from: 'awaiting', intent, serverId: null }, events);
  }
}
