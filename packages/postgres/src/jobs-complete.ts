import type { Completion, ErrorRecord, JobLeaseExtendParams, JobsCompleteParams, JobsCompleteResult, Json } from '@spool/core';

import { jsonOrNull } from './job-row.js';
import type { TransitionSpec } from './job-transition.js';
import { settleContinuations, transition } from './job-transition.js';
import type { WriteContext } from './write-context.js';

// Successes, the bulk of completions, in one statement: each guarded by its lease token, with their
// counters (including the hour's succeeded count); the succeeded entry is recorded in the row
// (tail bit 2: no history row, see history-tail.ts). It must write what `transition` writes for
// processing -> succeeded. The completions come as one compact JSON array of records, joined by id:
// `i` the id, and only when they differ from the batch's common values ($2, $3), `t` the lease token
// and `s` the reason; `r` the result when there is one. (Jobs of one claim share a lease token, and
// most reasons are alike, so a record is usually just its id.) Parallel arrays would cost
// array_position per row, quadratic in the batch. The statement answers with the ids whose lease no
// longer held, not with the ids it completed: usually none.
const succeedSql = (s: string): string => `WITH c AS MATERIALIZED (
  SELECT x.i AS id, coalesce(x.t, $2) AS token, x.r AS result, coalesce(x.s, $3) AS reason
  FROM json_to_recordset($1::json) AS x(i text, t text, r text, s text)
), done AS (
  -- id = ANY(...): the primary key finds each job whatever the planner thinks of the table's size.
  UPDATE ${s}.jobs j SET state = 'succeeded', updated_at = $4, lease_token = NULL, lease_expires_at = NULL, finished_at = $4,
    expires_at = $4::bigint + j.retention_ms, progress = CASE WHEN j.progress IS NOT NULL THEN 100 END, result = c.result,
    tail = j.tail | 2, tail_reason = c.reason, tail_server = nullif($5::text, j.server_id)
  FROM c
  WHERE j.id = ANY(ARRAY(SELECT id FROM c)) AND j.id = c.id AND j.state = 'processing' AND j.lease_token = c.token
  RETURNING j.id
), n AS (
  INSERT INTO ${s}.counters (key, shard, value)
  SELECT k, $6, v FROM (SELECT count(*) AS n FROM done) x,
    LATERAL (VALUES ('state:processing', -x.n), ('state:succeeded', x.n), ('succeeded:' || ($4::bigint / 3600000 * 3600000), x.n)) AS u(k, v)
  WHERE x.n > 0 ORDER BY k
  ON CONFLICT (key, shard) DO UPDATE SET value = counters.value + excluded.value
)
SELECT ARRAY(SELECT id FROM c WHERE id NOT IN (SELECT id FROM done)) AS refused`;

/** One success as a compact record of {@link succeedSql}. */
interface SuccessRecord {
  i: string;
  t?: string;
  r?: string;
  s?: string;
}

/**
 * Records the outcomes of many processing jobs in the caller's transaction, each guarded by its
 * lease token: a completion whose lease no longer holds writes nothing and reports `ok: false`.
 * Successes go in one statement; other outcomes (retries, failures, requeues) one by one.
 */
export async function completeJobs(ctx: WriteContext, params: JobsCompleteParams): Promise<JobsCompleteResult> {
  const ok = new Set<string>();
  const successes = params.completions.filter((c) => c.outcome.state === 'succeeded');
  if (successes.length > 0) {
    const token = successes[0]!.leaseToken;
    const reason = successes[0]!.outcome.reason;
    const records = successes.map((c): SuccessRecord => {
      const record: SuccessRecord = { i: c.id };
      if (c.leaseToken !== token) record.t = c.leaseToken;
      const result = c.outcome.state === 'succeeded' ? jsonOrNull(c.outcome.result) : null;
      if (result !== null) record.r = result;
      if (c.outcome.reason !== reason) record.s = c.outcome.reason;
      return record;
    });
    const [row] = await ctx.db.run(succeedSql(ctx.s), [JSON.stringify(records), token, reason, ctx.now, params.serverId, ctx.shard], true);
    const refused = new Set(row!.refused as string[]);
    for (const success of successes) {
      if (refused.has(success.id)) continue;
      ok.add(success.id);
      ctx.events.state(success.id, 'succeeded', false);
    }
    // Whether continuations may wait is asked in a statement of its own, after the update: a
    // continuation whose creation held a parent's row made the update wait, and only a later
    // statement's snapshot sees it (the update's own saw the database from before the wait).
    if (ok.size > 0 && (await ctx.hasAwaiting())) await settleContinuations(ctx, [...ok], ctx.events);
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
