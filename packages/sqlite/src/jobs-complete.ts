import type { Completion, JobLeaseExtendParams, JobsCompleteParams, JobsCompleteResult } from '@spool/core';
import { completionIntent } from '@spool/core';

import type { TransitionSpec } from './job-transition.js';
import { transition } from './job-transition.js';
import type { WriteContext } from './write-context.js';

/**
 * Records the outcomes of many processing jobs in the caller's transaction, each guarded by its
 * lease token: a completion whose lease no longer holds writes nothing and reports `ok: false`,
 * unless it repeats the completion that was the job's last change (`ok: true`, nothing written).
 */
export function completeJobs(ctx: WriteContext, params: JobsCompleteParams): JobsCompleteResult {
  const results = params.completions.map((completion) => ({
    id: completion.id,
    ok: transition(ctx, completionSpec(completion, params.serverId), ctx.events) || isRecorded(ctx, completion),
  }));
  return { results };
}

/** Whether this completion was recorded before: the job is in its outcome's state, left there by its lease. */
function isRecorded(ctx: WriteContext, completion: Completion): boolean {
  const row = ctx.conn
    .stmt("SELECT 1 AS found FROM spool_jobs WHERE id = ? AND state = ? AND state <> 'processing' AND lease_token = ?")
    .get(completion.id, completion.outcome.state, completion.leaseToken);
  return row !== undefined;
}

function completionSpec(completion: Completion, serverId: string): TransitionSpec {
  return { id: completion.id, from: 'processing', intent: completionIntent(completion.outcome), serverId, leaseToken: completion.leaseToken };
}

/** Extends the leases of running jobs; returns the ids whose lease is gone. */
export function extendLeases(ctx: WriteContext, params: JobLeaseExtendParams): string[] {
  const extend = ctx.conn.stmt("UPDATE spool_jobs SET lease_expires_at = ? WHERE id = ? AND state = 'processing' AND lease_token = ?");
  const expiresAt = ctx.now + params.leaseMs;
  const lost: string[] = [];
  for (const lease of params.leases) {
    if (extend.run(expiresAt, lease.id, lease.leaseToken).changes === 0) lost.push(lease.id);
  }
  return lost;
}

/** Sets a running job's progress, guarded by its lease. */
export function setProgress(ctx: WriteContext, params: { id: string; leaseToken: string; progress: number }): boolean {
  return (
    ctx.conn
      .stmt("UPDATE spool_jobs SET progress = ?, updated_at = ? WHERE id = ? AND state = 'processing' AND lease_token = ?")
      .run(params.progress, ctx.now, params.id, params.leaseToken).changes > 0
  );
}
