import type { Completion, JobLeaseExtendParams, JobsCompleteParams, JobsCompleteResult } from '@spool/core';
import { completionIntent } from '@spool/core';

import { transition } from './job-transition.js';
import type { WriteContext } from './write-context.js';

/**
 * Records the outcomes of many processing jobs in the caller's transaction, each guarded by its
 * lease token: a completion whose lease no longer holds writes nothing and reports `ok: false`,
 * unless it repeats the completion that was the job's last change (`ok: true`, nothing written).
 * Jobs are locked in id order, so two batches that share jobs never wait for each other in a cycle.
 */
export async function completeJobs(ctx: WriteContext, params: JobsCompleteParams): Promise<JobsCompleteResult> {
  const ok = new Map<string, boolean>();
  const refused: Completion[] = [];
  for (const completion of [...params.completions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const { id, leaseToken, outcome } = completion;
    const done = await transition(ctx, { id, from: 'processing', intent: completionIntent(outcome), serverId: params.serverId, leaseToken }, ctx.events);
    ok.set(id, done);
    if (!done) refused.push(completion);
  }
  if (refused.length > 0) for (const id of await recordedBefore(ctx, refused)) ok.set(id, true);
  return { results: params.completions.map((c) => ({ id: c.id, ok: ok.get(c.id) ?? false })) };
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
