import type { Completion, ErrorRecord, JobLeaseExtendParams, JobsCompleteParams, JobsCompleteResult, Json } from '@spool/core';

import { jsonOrNull } from './job-row.js';
import type { TransitionSpec } from './job-transition.js';
import { settleContinuations, transition } from './job-transition.js';
import type { WriteContext } from './write-context.js';

// Successes, the bulk of completions, in one statement: each guarded by its lease token, with their
// counters (including the hour's succeeded count); the succeeded entry is recorded in the row
// (tail bit 2: no history row, see history-tail.ts). It must write what `transition` writes for
// processing -> succeeded. Each completion's values come as one JSON array
// of records joined by id: looking them up in parallel arrays (array_position per row) costs time
// quadratic in the batch, about half the statement at 500 jobs.
const succeedSql = (s: string): string => `WITH done AS (
  -- id = ANY(...): the primary key finds each job whatever the planner thinks of the table's size.
  UPDATE ${s}.jobs j SET state = 'succeeded', updated_at = $3, lease_token = NULL, lease_expires_at = NULL, finished_at = $3,
    expires_at = $3::bigint + j.retention_ms, progress = CASE WHEN j.progress IS NOT NULL THEN 100 END, result = c.result,
    tail = j.tail | 2, tail_reason = c.reason, tail_server = nullif($4::text, j.server_id)
  FROM json_to_recordset($2::json) AS c(id text, token text, result text, reason text)
  WHERE j.id = ANY($1::text[]) AND j.id = c.id AND j.state = 'processing' AND j.lease_token = c.token
  RETURNING j.id
), c AS (
  INSERT INTO ${s}.counters (key, shard, value)
  SELECT k, $5, v FROM (SELECT count(*) AS n FROM done) x,
    LATERAL (VALUES ('state:processing', -x.n), ('state:succeeded', x.n), ('succeeded:' || ($3::bigint / 3600000 * 3600000), x.n)) AS u(k, v)
  WHERE x.n > 0 ORDER BY k
  ON CONFLICT (key, shard) DO UPDATE SET value = counters.value + excluded.value
)
SELECT id, (SELECT coalesce(sum(value), 0) FROM ${s}.counters WHERE key = 'state:awaiting') AS awaiting FROM done`;

/**
 * Records the outcomes of many processing jobs in the caller's transaction, each guarded by its
 * lease token: a completion whose lease no longer holds writes nothing and reports `ok: false`.
 * Successes go in one statement; other outcomes (retries, failures, requeues) one by one.
 */
export async function completeJobs(ctx: WriteContext, params: JobsCompleteParams): Promise<JobsCompleteResult> {
  const ok = new Set<string>();
  const successes = params.completions.filter((c) => c.outcome.state === 'succeeded');
  if (successes.length > 0) {
    const records = successes.map((c) => ({
      id: c.id,
      token: c.leaseToken,
      result: c.outcome.state === 'succeeded' ? jsonOrNull(c.outcome.result) : null,
      reason: c.outcome.reason,
    }));
    const rows = await ctx.db.run(succeedSql(ctx.s), [successes.map((c) => c.id), JSON.stringify(records), ctx.now, params.serverId, ctx.shard], true);
    for (const row of rows) {
      ok.add(row.id as string);
      ctx.events.state(row.id as string, 'succeeded', false);
    }
    if (rows.length > 0 && Number(rows[0]!.awaiting) > 0) await settleContinuations(ctx, [...ok], ctx.events);
  }
  for (const completion of params.completions) {
    if (completion.outcome.state === 'succeeded') continue;
    if (await transition(ctx, completionSpec(completion, params.serverId), ctx.events)) ok.add(completion.id);
  }
  return { results: params.completions.map((c) => ({ id: c.id, ok: ok.has(c.id) })) };
}

function completionSpec(completion: Completion, serverId: string): TransitionSpec {
  const { id, leaseToken, outcome } = completion;
  const base = { id, from: 'processing', leaseToken, serverId, reason: outcome.reason, share: false } as const;
  switch (outcome.state) {
    case 'succeeded':
      return { ...base, to: 'succeeded', data: null, result: outcome.result };
    case 'failed':
      return { ...base, to: 'failed', data: { error: errorData(outcome.error) }, error: outcome.error };
    case 'scheduled':
      return {
        ...base,
        to: 'scheduled',
        data: { error: errorData(outcome.error), runAt: outcome.runAt.toISOString() },
        runAt: outcome.runAt.getTime(),
        error: outcome.error,
      };
    case 'enqueued':
      return { ...base, to: 'enqueued', data: null, attempts: outcome.refundAttempt ? 'refund' : 'keep' };
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/** An error record as history data (it is plain JSON already). */
function errorData(error: ErrorRecord): Json {
  return error as unknown as Json;
}

/** Extends the leases of running jobs in one statement; returns the ids whose lease is gone. */
export async function extendLeases(ctx: WriteContext, params: JobLeaseExtendParams): Promise<string[]> {
  // Tokens joined by id from one JSON array, as for completions: a server renews up to its
  // concurrency plus 500 claimed-ahead leases at once.
  const rows = await ctx.db.run(
    `UPDATE ${ctx.s}.jobs j SET lease_expires_at = $3::bigint
     FROM json_to_recordset($2::json) AS l(id text, token text)
     WHERE j.id = ANY($1::text[]) AND j.id = l.id AND j.state = 'processing' AND j.lease_token = l.token
     RETURNING j.id`,
    [params.leases.map((l) => l.id), JSON.stringify(params.leases.map((l) => ({ id: l.id, token: l.leaseToken }))), ctx.now + params.leaseMs],
  );
  const kept = new Set(rows.map((r) => r.id as string));
  return params.leases.filter((l) => !kept.has(l.id)).map((l) => l.id);
}

/** Sets a running job's progress, guarded by its lease. */
export async function setProgress(ctx: WriteContext, params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
  const rows = await ctx.db.run(
    `UPDATE ${ctx.s}.jobs SET progress = $1, updated_at = $2 WHERE id = $3 AND state = 'processing' AND lease_token = $4 RETURNING id`,
    [params.progress, ctx.now, params.id, params.leaseToken],
  );
  return rows.length > 0;
}
