import type { BatchCounts, DependencyParentKind, DependencyPolicy, JobState, StateChange } from '@spool/core';
import { addBatchCounts, batchFinishes, dependencyIntent } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import { FLOW_PARENT } from '@spool/core/storage-kit';
import type { TransitionSpec } from './job-transition.js';
import type { WriteContext } from './write-context.js';

/** How a settle moves a child: the storage's one transition. */
export type MoveJob = (ctx: WriteContext, spec: TransitionSpec, events: EventBatch) => Promise<boolean>;

/**
 * What a job of a batch or a flow adds to its change, in the same transaction, as core decides:
 * its batch's counters (`change.batch`) and, once it has finished, its dependents. Only jobs whose
 * row says so (`flow` is not 0) come here. The batch's row and each child's are locked by a
 * locking read before they are written, children in id order.
 */
export async function settleFlow(ctx: WriteContext, id: string, change: StateChange, flow: number, batchId: string | null, events: EventBatch, move: MoveJob): Promise<void> {
  if (change.batch !== null && batchId !== null) await countInBatch(ctx, batchId, change.batch, events, move);
  if (change.settleContinuations && (flow & FLOW_PARENT) !== 0) await settleDependents(ctx, 'job', id, change.to, events, move);
}

/**
 * Adds `delta` to a batch's counters under its row's lock and, when core says the batch finishes
 * (`batchFinishes`), finishes it: records when, settles its dependents, counts it in its parent.
 */
export async function countInBatch(ctx: WriteContext, batchId: string, delta: BatchCounts, events: EventBatch, move: MoveJob): Promise<void> {
  const [row] = await ctx.db.rows(`SELECT total, finished, succeeded, failed, finished_at, parent_batch_id FROM ${ctx.t.batches} WHERE id = ? FOR UPDATE`, [batchId]);
  if (row === undefined) return;
  await ctx.db.exec(`UPDATE ${ctx.t.batches} SET finished = finished + ?, succeeded = succeeded + ?, failed = failed + ? WHERE id = ?`, [delta.finished, delta.succeeded, delta.failed, batchId]);
  const counts = addBatchCounts({ finished: Number(row.finished), succeeded: Number(row.succeeded), failed: Number(row.failed) }, delta);
  const finish = batchFinishes({ ...counts, total: Number(row.total), finishedAt: row.finished_at === null ? null : Number(row.finished_at) });
  if (finish === null) return;
  await ctx.db.exec(`UPDATE ${ctx.t.batches} SET finished_at = ? WHERE id = ?`, [ctx.now, batchId]);
  await settleDependents(ctx, 'batch', batchId, finish.state, events, move);
  if (row.parent_batch_id !== null) await countInBatch(ctx, row.parent_batch_id as string, finish.parentDelta, events, move);
}

async function settleDependents(ctx: WriteContext, kind: DependencyParentKind, parentId: string, parentState: JobState, events: EventBatch, move: MoveJob): Promise<void> {
  const edges = await ctx.db.rows(`SELECT child_id, policy FROM ${ctx.t.dependencies} WHERE parent_id = ? ORDER BY child_id FOR UPDATE`, [parentId]);
  if (edges.length === 0) return;
  await ctx.db.exec(`DELETE FROM ${ctx.t.dependencies} WHERE parent_id = ?`, [parentId]);
  for (const edge of edges) {
    const childId = edge.child_id as string;
    const [child] = await ctx.db.rows(`SELECT pending_parents FROM ${ctx.t.jobs} WHERE id = ? AND state = 'awaiting' FOR UPDATE`, [childId]);
    // A child that is no longer waiting (settled by another parent, deleted) is left as it is.
    if (child === undefined) continue;
    await ctx.db.exec(`UPDATE ${ctx.t.jobs} SET pending_parents = pending_parents - 1 WHERE id = ?`, [childId]);
    const intent = dependencyIntent(kind, parentId, parentState, edge.policy as DependencyPolicy, Number(child.pending_parents) - 1);
    if (intent !== null) await move(ctx, { id: childId, from: 'awaiting', intent, serverId: null }, events);
  }
}
