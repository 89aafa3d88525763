import { randomUUID } from 'node:crypto';

import { LIMIT_KEY_PARAMETER, claimIntent, decideStateChange, limitSkipIntent } from '@spool/core';
import type { FetchedJob } from '@spool/core';
import type { LimitedJob, LimitsInForce } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, admitJobs, fullGates, gateRulesOf, gatesOfJobs, keyHeadRows, keyedNames, keyedScopes, scopesOfClaim, skippedReason } from '@spool/core/storage-kit';

import { spillSql } from './history-tail.js';
import { CLAIMED_SELECT, decodeClaimed } from './job-row.js';
import { transition } from './job-transition.js';
import { gateColumns, lockGates, lockGatesSkipping, peekKeyGates, writeGates } from './limits-store.js';
import type { Row } from './executor.js';
import type { WriteContext } from './write-context.js';

// The claim of a queue with limits in force, in the fetch's transaction: the scopes' gates are
// locked first (in gate order), then candidates are read in queue order with FOR UPDATE SKIP LOCKED,
// passing over the jobs of gates already full (a job name, or a key in its name's or queue's
// scope); the candidates' key gates are locked; core decides which start (admitJobs); the gates'
// new states and the started jobs are written. When admission fills a gate, the next round passes
// over its jobs, so a large key never hides a small one. Claimers of the same gates wait for each
// other on the gate rows; a deadlock between two (key gates locked in a later round) is retried by
// the transaction. The key is read from the parameters only for rows that mention it.
/** A job's limit key, as jobs_keyed (migration 13) indexes it. */
export const KEY_SQL = `(CASE WHEN j.parameters LIKE '%"${LIMIT_KEY_PARAMETER}"%' THEN (j.parameters::jsonb) ->> '${LIMIT_KEY_PARAMETER}' END)`;
const candidatesSql = (s: string) => `SELECT p.id, p.name, p.tail, p.key, p.priority, p.enqueue_seq FROM unnest($2::text[]) AS n(name) CROSS JOIN LATERAL (
  SELECT j.id, j.name, j.tail, ${KEY_SQL} AS key, j.priority, j.enqueue_seq FROM ${s}.jobs j
  WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = n.name
    AND NOT ('job:' || j.name || '${KEY_SEPARATOR}' || coalesce(${KEY_SQL}, '') = ANY($3::text[])
      OR 'queue:' || j.queue || '${KEY_SEPARATOR}' || coalesce(${KEY_SQL}, '') = ANY($3::text[]))
  ORDER BY j.priority DESC, j.enqueue_seq LIMIT $4 FOR UPDATE SKIP LOCKED
) p
ORDER BY p.priority DESC, p.enqueue_seq LIMIT $4`;
// Jobs of names whose limits go per key, through jobs_keyed (migration 13): the keys of each name's
// waiting jobs by a skip scan (one index probe per key), the first $4 jobs of each key whose gates
// are not full, and the name's jobs without a key apart (at most $5). A full key's backlog is never
// read. Its rows are locked as the other read's are.
const keyedSql = (s: string) => `WITH RECURSIVE keys AS (
  SELECT n.name, (SELECT ${KEY_SQL} FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = n.name AND ${KEY_SQL} IS NOT NULL ORDER BY ${KEY_SQL} LIMIT 1) AS k
  FROM unnest($2::text[]) AS n(name)
  UNION ALL
  SELECT keys.name, (SELECT ${KEY_SQL} FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = keys.name AND ${KEY_SQL} > keys.k ORDER BY ${KEY_SQL} LIMIT 1)
  FROM keys WHERE keys.k IS NOT NULL
)
SELECT p.id, p.name, p.tail, p.key, p.priority, p.enqueue_seq FROM keys CROSS JOIN LATERAL (
  SELECT j.id, j.name, j.tail, ${KEY_SQL} AS key, j.priority, j.enqueue_seq FROM ${s}.jobs j
  WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = keys.name AND ${KEY_SQL} = keys.k
  ORDER BY j.priority DESC, j.enqueue_seq LIMIT $4 FOR UPDATE SKIP LOCKED
) p
WHERE keys.k IS NOT NULL
  AND NOT ('job:' || keys.name || '${KEY_SEPARATOR}' || keys.k = ANY($3::text[]) OR 'queue:' || $1 || '${KEY_SEPARATOR}' || keys.k = ANY($3::text[]))
UNION ALL
SELECT p.id, p.name, p.tail, NULL, p.priority, p.enqueue_seq FROM unnest($2::text[]) AS n(name) CROSS JOIN LATERAL (
  SELECT j.id, j.name, j.tail, j.priority, j.enqueue_seq FROM ${s}.jobs j
  WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = n.name AND ${KEY_SQL} IS NULL
  ORDER BY j.priority DESC, j.enqueue_seq LIMIT $5 FOR UPDATE SKIP LOCKED
) p`;
const NAMES_SQL = (s: string) => `WITH RECURSIVE names AS (
  (SELECT j.name FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $1 ORDER BY j.name LIMIT 1)
  UNION ALL
  SELECT (SELECT j.name FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name > n.name ORDER BY j.name LIMIT 1)
  FROM names n WHERE n.name IS NOT NULL
) SELECT name FROM names WHERE name IS NOT NULL`;
// The gates' new states are written in the same statement as the lease (their rows are locked).
const leaseSql = (s: string) => `WITH gates AS (
  UPDATE ${s}.gates g SET running = u.running, window_start = u.window_start, window_count = u.window_count
  FROM unnest($7::text[], $8::int[], $9::bigint[], $10::int[]) AS u(gate, running, window_start, window_count) WHERE g.gate = u.gate
)
UPDATE ${s}.jobs j SET state = 'processing', attempt = j.attempt + 1, lease_token = $3,
  server_id = $4, lease_expires_at = $5::bigint + $6::bigint, started_at = $5, updated_at = $5, tail = 1, tail_reason = NULL, tail_server = NULL,
  held_gates = ARRAY(SELECT jsonb_array_elements_text(p.gates))
FROM (SELECT unnest($1::text[]) AS id, unnest($2::jsonb[]) AS gates) p WHERE j.id = p.id
RETURNING ${CLAIMED_SELECT.replace(/(\w+)/g, 'j.$1')}, j.enqueue_seq`;

const CLAIM_COUNTERS = decideStateChange({ from: 'enqueued', ...claimIntent('', 1, '', 0), now: 0, serverId: null }).counters;

/** Rounds of one queue's gated claim: each passes over the gates the previous one filled. */
const MAX_ROUNDS = 4;

/** One queue's gated claim. */
export interface GatedClaim {
  queue: string;
  names: readonly string[] | null;
  wanted: number;
  limits: LimitsInForce;
  serverId: string;
  leaseMs: number;
}

/** Claims up to `wanted` jobs of one queue under the limits in force, in the caller's transaction. */
export async function claimGated(ctx: WriteContext, claim: GatedClaim): Promise<FetchedJob[]> {
  const { s } = ctx;
  let names = claim.names ?? ((await ctx.db.run(NAMES_SQL(s), [claim.queue])).map((r) => r.name as string));
  const gates = await lockGates(ctx, scopesOfClaim(claim.limits, claim.queue, names, { ownGate: true }));
  const lease = { serverId: claim.serverId, leaseToken: randomUUID(), leaseMs: claim.leaseMs };
  const fetched: FetchedJob[] = [];
  // Keys full when the claim starts are passed over unread (a filter only: admission decides on
  // gates locked below).
  const fullKeys = fullGates(claim.limits, await peekKeyGates(ctx, keyedScopes(claim.limits, claim.queue, keyedNames(claim.limits, claim.queue, names))), ctx.now);
  for (let round = 0; round < MAX_ROUNDS && fetched.length < claim.wanted; round++) {
    const want = claim.wanted - fetched.length;
    const full = fullGates(claim.limits, gates, ctx.now);
    if (full.has(`queue:${claim.queue}`)) break;
    names = names.filter((name) => !full.has(`job:${name}`));
    if (names.length === 0) break;
    const batch = Math.min(1_000, Math.max(50, want * 4));
    // Names whose limits go per key are read key by key; the others in queue order.
    const keyed = keyedNames(claim.limits, claim.queue, names);
    const others = names.filter((name) => !keyed.includes(name));
    const rows: Row[] = [];
    let more = false;
    if (keyed.length > 0) {
      const heads = Math.max(...keyed.map((name) => keyHeadRows(claim.limits, claim.queue, name, want)));
      const read = await ctx.db.run(keyedSql(s), [claim.queue, keyed, [...full, ...fullKeys], heads, batch]);
      rows.push(...read);
      // A key's first jobs are all it may start now: only its jobs without a key may need more rounds.
      more ||= read.filter((r) => r.key === null).length >= batch;
    }
    if (others.length > 0) {
      const read = await ctx.db.run(candidatesSql(s), [claim.queue, others, [...full], batch]);
      rows.push(...read);
      more ||= read.length >= batch;
    }
    if (rows.length === 0) break;
    rows.sort((a, b) => (b.priority as number) - (a.priority as number) || Number(a.enqueue_seq) - Number(b.enqueue_seq));
    let candidates: LimitedJob[] = rows.map((r) => ({ id: r.id as string, queue: claim.queue, name: r.name as string, limitKey: (r.key as string | null) ?? null }));
    const unread = gatesOfJobs(claim.limits, candidates).filter((g) => !gates.has(g));
    const locked = await lockGatesSkipping(ctx, unread);
    for (const [gate, state] of locked) gates.set(gate, state);
    // Candidates of a gate another transaction holds right now wait for a later claim.
    const busy = new Set(unread.filter((g) => !locked.has(g)));
    if (busy.size > 0) candidates = candidates.filter((c) => !gateRulesOf(claim.limits, c).some((r) => busy.has(r.gate)));
    const admission = admitJobs({ candidates, limits: claim.limits, gates, now: ctx.now, want });
    for (const [gate, state] of admission.gates) gates.set(gate, state);
    if (admission.admitted.length === 0) await writeGates(ctx, admission.gates);
    else {
      const ids = admission.admitted.map((a) => a.job.id);
      const spill = rows.filter((r) => r.tail !== 0 && ids.includes(r.id as string)).map((r) => r.id as string);
      if (spill.length > 0) await ctx.db.run(spillSql(s, 'ANY($1::text[])'), [spill]);
      const leased = await ctx.db.runArrays(leaseSql(s), [
        ids,
        admission.admitted.map((a) => JSON.stringify(a.gates)),
        lease.leaseToken,
        claim.serverId,
        ctx.now,
        claim.leaseMs,
        ...gateColumns(admission.gates),
      ]);
      const order = new Map(ids.map((id, i) => [id, i]));
      leased.sort((a, b) => order.get(a[0] as string)! - order.get(b[0] as string)!);
      for (const row of leased) fetched.push(decodeClaimed(row, lease));
      ctx.counted(CLAIM_COUNTERS, claim.queue, leased.length);
    }
    if (admission.skipped.length > 0) {
      // A skipped job's change is a decision others act on: its commit waits for the disk again.
      await ctx.db.run(`SELECT set_config('synchronous_commit', 'on', true)`);
    }
    for (const { job, gate } of admission.skipped) {
      await transition(ctx, { id: job.id, from: 'enqueued', intent: limitSkipIntent(gate, skippedReason(gate)), serverId: null }, ctx.events);
    }
    if (!more) break;
  }
  return fetched;
}
