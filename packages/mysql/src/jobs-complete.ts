import type { BatchCounts, Completion, JobLeaseExtendParams, JobsCompleteParams, JobsCompleteResult, StateChange } from '@spool/core';
import { addBatchCounts, assertFixedWrite, completionIntent, decideStateChange } from '@spool/core';
import { FLOW_PARENT } from '@spool/core/storage-kit';

import { countInBatch } from './flow-settle.js';
import { TAIL_SUCCEEDED } from './history-tail.js';
import { jsonOrNull } from './job-row.js';
import { releaseHeld, transition } from './job-transition.js';
import { CompletionHandover } from './jobs-handover.js';
import type { WriteContext } from './write-context.js';

// Successes, the bulk of completions, in one UPDATE for the batch instead of one per job: a batch
// of completions is one transaction, and every row it locks waits for its commit (a server's lease
// renewal among them), so it must stay short. It writes the shape of core's FIXED_WRITES.success
// (checked below when this module loads); the counters come from the decision, and so does the
// history entry, which the row keeps (history-tail.ts) when all successes of the batch share their
// reason and server, as they do unless a handler set its own reason.
// Jobs a continuation waits for are left to `transition`, which settles them in the same commit.
// Members of batches that no job depends on are recorded here too (decision 50): each batch's
// counters take the sum of what its members' changes add, in one locked update per batch, in
// batch id order, so a batch of 100,000 costs one statement per batch of completions, not five per job.
// Gates the jobs took are given back as the decision says, from the column the locking read reads,
// but for the places a hand-over keeps to pass on (jobs-handover.ts).
const succeedSql = (jobs: string, results: number): string => `UPDATE ${jobs} SET state = 'succeeded', updated_at = ?, lease_expires_at = NULL,
  finished_at = ?, expires_at = ? + retention_ms, progress = CASE WHEN progress IS NOT NULL THEN 100 END,
  result = ${results === 0 ? 'NULL' : `CASE id ${'WHEN ? THEN ? '.repeat(results)}END`},
  tail = tail | ${TAIL_SUCCEEDED}, tail_reason = ?, tail_server = CASE WHEN server_id = ? THEN NULL ELSE ? END
WHERE id IN (?)`;

assertFixedWrite('MySQL succeedSql', 'success');

/**
 * Records the successes of a batch that still hold their lease and that no continuation waits for,
 * in one statement, after locking their rows; returns the ids it recorded. The others are left to
 * the general path.
 */
async function succeedJobs(ctx: WriteContext, successes: readonly Completion[], serverId: string, handover: CompletionHandover | null): Promise<Set<string>> {
  const rows = await ctx.db.rows(`SELECT id, lease_token, queue, held_gates, flow, batch_id FROM ${ctx.t.jobs} WHERE id IN (?) AND state = 'processing' ORDER BY id FOR UPDATE`, [
    successes.map((c) => c.id),
  ]);
  const held = new Map(rows.map((r) => [r.id as string, r]));
  // A job other jobs depend on (a flow's step) is left to the general path, which settles its dependents.
  let fast = successes.filter((c) => held.get(c.id)?.lease_token === c.leaseToken && (Number(held.get(c.id)!.flow) & FLOW_PARENT) === 0);
  if (fast.length === 0) return new Set();
  const awaited = await ctx.db.rows(`SELECT DISTINCT parent_id FROM ${ctx.t.jobs} WHERE parent_id IN (?) AND state = 'awaiting'`, [fast.map((c) => c.id)]);
  const waitedFor = new Set(awaited.map((r) => r.parent_id as string));
  fast = fast.filter((c) => !waitedFor.has(c.id));
  if (fast.length === 0) return new Set();
  const decided = fast.map((c) => ({ completion: c, change: decideStateChange({ from: 'processing', ...completionIntent(c.outcome), now: ctx.now, serverId }) }));
  // The rows hold one reason and server for the batch: a success with another entry (a handler's
  // own reason) is left to the general path, in the same transaction.
  const { reason, serverId: by } = decided[0]!.change.history;
  const changes = decided.filter(({ change }) => change.history.reason === reason && change.history.serverId === by);
  const results = changes.flatMap(({ completion, change }) => (change.result === 'keep' || change.result.set === null ? [] : [[completion.id, jsonOrNull(change.result.set)]]));
  const ids = changes.map(({ completion }) => completion.id);
  await ctx.db.exec(succeedSql(ctx.t.jobs, results.length), [ctx.now, ctx.now, ctx.now, ...results.flat(), reason, by, by, ids]);
  for (const { completion, change } of changes) {
    const row = held.get(completion.id)!;
    ctx.counted(change.counters, row.queue as string);
    if (change.limits === 'release' && handover?.offer(row.queue as string, row.held_gates) !== true) {
      releaseHeld(ctx, row.held_gates, row.queue as string, ctx.events, change.pause);
    }
    ctx.events.state(completion.id, change.events.state);
  }
  await countInBatches(ctx, changes.map(({ completion, change }) => ({ batchId: held.get(completion.id)!.batch_id as string | null, change })));
  return new Set(ids);
}

/** Adds what each change adds to its job's batch (as core decides it, `change.batch`), one update per batch, in batch id order. */
async function countInBatches(ctx: WriteContext, changes: readonly { batchId: string | null; change: StateChange }[]): Promise<void> {
  const deltas = new Map<string, BatchCounts>();
  for (const { batchId, change } of changes) {
    if (batchId === null || change.batch === null) continue;
    deltas.set(batchId, addBatchCounts(deltas.get(batchId) ?? { finished: 0, succeeded: 0, failed: 0 }, change.batch));
  }
  for (const batchId of [...deltas.keys()].sort()) await countInBatch(ctx, batchId, deltas.get(batchId)!, ctx.events, transition);
}

/**
 * Records the outcomes of many processing jobs in the caller's transaction, each guarded by its
 * lease token: a completion whose lease no longer holds writes nothing and reports `ok: false`,
 * unless it repeats the completion that was the job's last change (`ok: true`, nothing written).
 * Jobs are locked in id order, so two batches that share jobs never wait for each other in a cycle.
 * With `handover`, the places the batch of successes frees may pass to their keys' next jobs
 * (decision 53); a success the general path records frees its place as before.
 */
export async function completeJobs(ctx: WriteContext, params: JobsCompleteParams, fastPaths: boolean): Promise<JobsCompleteResult> {
  const ok = new Map<string, boolean>();
  const refused: Completion[] = [];
  const successes = fastPaths ? params.completions.filter((c) => c.outcome.state === 'succeeded') : [];
  const handover = successes.length > 0 && params.handover !== undefined ? await CompletionHandover.prepare(ctx, params.handover) : null;
  const succeeded = successes.length > 0 ? await succeedJobs(ctx, successes, params.serverId, handover) : new Set<string>();
  for (const id of succeeded) ok.set(id, true);
  const rest = params.completions.filter((c) => !succeeded.has(c.id));
  for (const completion of rest.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const { id, leaseToken, outcome } = completion;
    const done = await transition(ctx, { id, from: 'processing', intent: completionIntent(outcome), serverId: params.serverId, leaseToken }, ctx.events);
    ok.set(id, done);
    if (!done) refused.push(completion);
  }
  if (refused.length > 0) for (const id of await recordedBefore(ctx, refused)) ok.set(id, true);
  // Last, once every gate the write gives back is known: the hand-over locks them all in gate order.
  const handedOver = handover === null ? null : await handover.complete(ctx, params.serverId);
  return { results: params.completions.map((c) => ({ id: c.id, ok: ok.get(c.id) ?? false })), ...(handedOver === null ? {} : { handedOver }) };
}

/**
 * The completions recorded before, in one statement: their job is in the outcome's state, left
 * there by the same lease (a finished job keeps the token of the completion that finished it).
 */
async function recordedBefore(ctx: WriteContext, completions: readonly Completion[]): Promise<string[]> {
  const rows = await ctx.db.rows(`SELECT id, state, lease_token FROM ${ctx.t.jobs} WHERE id IN (?) AND state <> 'processing'`, [completions.map((c) => c.id)]);
  const found = new Map(rows.map((r) => [r.id as string, r]));
  return completions
    .filter((c) => {
      const row = found.get(c.id);
      return row !== undefined && row.state === c.outcome.state && row.lease_token === c.leaseToken;
    })
    .map((c) => c.id);
}

/** Extends the leases of running jobs; returns the ids whose lease is gone. */
export async function extendLeases(ctx: WriteContext, params: JobLeaseExtendParams): Promise<string[]> {
  const expiresAt = ctx.now + params.leaseMs;
  // One statement for the batch: each row is changed only while it is processing under its own token.
  await ctx.db.exec(
    `UPDATE ${ctx.t.jobs} SET lease_expires_at = ? WHERE id IN (?) AND state = 'processing' AND (id, lease_token) IN (${params.leases.map(() => '(?, ?)').join(', ')})`,
    [expiresAt, params.leases.map((l) => l.id), ...params.leases.flatMap((l) => [l.id, l.leaseToken])],
  );
  const rows = await ctx.db.rows(`SELECT id, lease_token FROM ${ctx.t.jobs} WHERE id IN (?) AND state = 'processing' AND lease_expires_at = ?`, [
    params.leases.map((l) => l.id),
    expiresAt,
  ]);
  const kept = new Map(rows.map((r) => [r.id as string, r.lease_token as string]));
  return params.leases.filter((l) => kept.get(l.id) !== l.leaseToken).map((l) => l.id);
}

/** Sets a running job's progress, guarded by its lease. */
export async function setProgress(ctx: WriteContext, params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
  const { affectedRows } = await ctx.db.exec(`UPDATE ${ctx.t.jobs} SET progress = ?, updated_at = ? WHERE id = ? AND state = 'processing' AND lease_token = ?`, [
    params.progress,
    ctx.now,
    params.id,
    params.leaseToken,
  ]);
  return affectedRows > 0;
}
