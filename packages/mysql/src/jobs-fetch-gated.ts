import { LIMIT_KEY_PARAMETER, limitSkipIntent } from '@spool/core';
import type { GateState, LimitedJob, LimitsInForce } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, admitJobs, fullGates, gatesOfJobs, keyHeadRows, keyedNames, keyedScopes, skippedReason } from '@spool/core/storage-kit';

import type { Row } from './executor.js';
import { JOB_SELECT } from './job-row.js';
import { transition } from './job-transition.js';
import { lockGates, lockKeyGates } from './limits-store.js';
import type { WriteContext } from './write-context.js';

// The claim of a queue with limits in force, inside the fetch's transaction. The fetch has locked
// the scope gates the claim may meet (its queue's, each limited name's), so claimers of a scope take
// turns, and what a gate holds cannot change under them. Each round reads candidates in queue order
// with FOR UPDATE SKIP LOCKED, passing over jobs of gates already full (their name, or their key in
// their name's or queue's scope), locks the key gates of the candidates, and lets core decide which
// start (admitJobs). When admission fills a gate, the next round passes over the rest of its jobs,
// so a large key never hides a small one (fairness). A job held back stays enqueued; its row stays
// locked until the commit, so other claimers pass over it too.
//
// The key is read from the parameters' JSON text in SQL and compared as bytes (CAST AS BINARY):
// exact, and free of the collation JSON functions give their result, which differs between MySQL
// and MariaDB. A job without a key compares as '', which no key is (keys have 1 to 200 characters).
const KEY_SQL = `CAST(COALESCE(JSON_UNQUOTE(JSON_EXTRACT(parameters, '$."${LIMIT_KEY_PARAMETER}"')), '') AS BINARY)`;

/** Rounds of one queue's gated claim: each passes over the gates the previous one filled. */
const MAX_ROUNDS = 4;

/** One queue's gated claim. */
export interface GatedClaim {
  queue: string;
  names: readonly string[] | null;
  wanted: number;
  limits: LimitsInForce;
  /** What the gates the fetch has locked hold: read, then kept up to date by each admission. */
  gates: Map<string, GateState>;
  /** The gates whose new state the fetch writes before it commits. */
  changed: Map<string, GateState>;
}

/**
 * Claims up to `wanted` jobs of one queue under the limits in force: `start` leases the admitted
 * rows, each with the gates it takes; jobs skipped under `onLocked: 'skip'` are deleted. Emits no
 * events of its own claims (a skip's deletion is an event).
 */
export async function claimGated(ctx: WriteContext, claim: GatedClaim, start: (rows: Row[], gates: Map<string, string[]>) => Promise<void>): Promise<Row[]> {
  const { gates } = claim;
  const fetched: Row[] = [];
  // Names whose limits go per key are read key by key (jobs_keyed, migration 4); the others in queue
  // order. Their keys' gates are locked first (the fetch holds their scopes' rows, so no other claim
  // changes them meanwhile): the full ones are passed over unread.
  const keyed = claim.names === null ? [] : keyedNames(claim.limits, claim.queue, claim.names);
  const others = claim.names === null ? null : claim.names.filter((name) => !keyed.includes(name));
  for (const [gate, s] of await lockKeyGates(ctx, keyedScopes(claim.limits, claim.queue, keyed))) gates.set(gate, s);
  for (let round = 0; round < MAX_ROUNDS && fetched.length < claim.wanted; round++) {
    const want = claim.wanted - fetched.length;
    // Only gates locked so far count: a key's gate is locked with its first candidates, so a full
    // one costs at most one round.
    const full = [...fullGates(claim.limits, gates, ctx.now)];
    if (full.includes(`queue:${claim.queue}`)) break; // the queue's own gate is full
    const batch = Math.min(1_000, Math.max(50, want * 4));
    const rows: Row[] = [];
    let more = false;
    for (const name of keyed) {
      if (full.includes(`job:${name}`)) continue;
      const heads = await keyHeads(ctx, claim, name, new Set(full), keyHeadRows(claim.limits, claim.queue, name, want));
      const unkeyed = await ctx.db.rows(
        `SELECT ${JOB_SELECT}, enqueue_seq FROM ${ctx.t.jobs} FORCE INDEX (jobs_keyed) WHERE state = 'enqueued' AND queue = ? AND name = ? AND limit_key IS NULL ORDER BY priority DESC, enqueue_seq LIMIT ? FOR UPDATE SKIP LOCKED`,
        [claim.queue, name, batch],
      );
      rows.push(...heads, ...unkeyed);
      // A key's first jobs are all it may start now: only its jobs without a key may need more rounds.
      more ||= unkeyed.length === batch;
    }
    if (others === null || others.length > 0) {
      const pick = pickSql(ctx.t.jobs, { ...claim, names: others }, full, batch);
      const read = await ctx.db.rows(pick.sql, pick.values);
      rows.push(...read);
      more ||= read.length === batch;
    }
    if (rows.length === 0) break;
    rows.sort((a, b) => Number(b.priority) - Number(a.priority) || Number(a.enqueue_seq) - Number(b.enqueue_seq));
    const candidates = rows.map(limitedJob);
    const unlocked = gatesOfJobs(claim.limits, candidates).filter((g) => !gates.has(g));
    for (const [gate, s] of await lockGates(ctx, unlocked)) gates.set(gate, s);
    const admission = admitJobs({ candidates, limits: claim.limits, gates, now: ctx.now, want });
    for (const [gate, s] of admission.gates) {
      gates.set(gate, s);
      claim.changed.set(gate, s);
    }
    if (admission.admitted.length > 0) {
      const byId = new Map(rows.map((row) => [row.id as string, row]));
      const admitted = admission.admitted.map(({ job }) => byId.get(job.id)!);
      await start(admitted, new Map(admission.admitted.map(({ job, gates: taken }) => [job.id, taken])));
      fetched.push(...admitted);
    }
    for (const { job, gate } of admission.skipped) {
      await transition(ctx, { id: job.id, from: 'enqueued', intent: limitSkipIntent(gate, skippedReason(gate)), serverId: null }, ctx.events);
    }
    if (!more) break; // the queue has no more candidates
  }
  return fetched;
}

/**
 * The first `rows` waiting jobs of each key of `name` whose gates are not full: the keys by a loose
 * scan of jobs_keyed, their first jobs' ids in one read of the index, then those rows locked (SKIP
 * LOCKED: a row another claim holds waits for a later claim) and checked still enqueued.
 */
async function keyHeads(ctx: WriteContext, claim: GatedClaim, name: string, full: ReadonlySet<string>, rows: number): Promise<Row[]> {
  const found = await ctx.db.rows(`SELECT DISTINCT limit_key FROM ${ctx.t.jobs} FORCE INDEX (jobs_keyed) WHERE state = 'enqueued' AND queue = ? AND name = ? AND limit_key IS NOT NULL`, [claim.queue, name]);
  const open = found
    .map((r) => r.limit_key as Buffer)
    .filter((k) => {
      const key = k.toString('utf8');
      return !full.has(`job:${name}${KEY_SEPARATOR}${key}`) && !full.has(`queue:${claim.queue}${KEY_SEPARATOR}${key}`);
    });
  if (open.length === 0) return [];
  const head = `SELECT id FROM ${ctx.t.jobs} FORCE INDEX (jobs_keyed) WHERE state = 'enqueued' AND queue = ? AND name = ? AND limit_key = ? ORDER BY priority DESC, enqueue_seq LIMIT ${rows}`;
  const ids = await ctx.db.rows(open.map(() => `(${head})`).join(' UNION ALL '), open.flatMap((k) => [claim.queue, name, k]));
  if (ids.length === 0) return [];
  return ctx.db.rows(`SELECT ${JOB_SELECT}, enqueue_seq FROM ${ctx.t.jobs} WHERE id IN (?) AND state = 'enqueued' FOR UPDATE SKIP LOCKED`, [ids.map((r) => r.id)]);
}

/** The candidate read of one round: runnable jobs of the queue in queue order, but those of full gates. */
function pickSql(jobs: string, claim: GatedClaim, full: readonly string[], batch: number): { sql: string; values: unknown[] } {
  const where = ["state = 'enqueued'", 'queue = ?'];
  const values: unknown[] = [claim.queue];
  if (claim.names !== null) {
    where.push('name IN (?)');
    values.push(claim.names);
  }
  const fullNames: string[] = [];
  const fullQueueKeys: string[] = [];
  const fullNameKeys = new Map<string, string[]>();
  for (const gate of full) {
    const at = gate.indexOf(KEY_SEPARATOR);
    const scope = at < 0 ? gate : gate.slice(0, at);
    if (scope === `queue:${claim.queue}`) fullQueueKeys.push(gate.slice(at + 1));
    else if (scope.startsWith('job:') && at < 0) fullNames.push(scope.slice(4));
    else if (scope.startsWith('job:')) fullNameKeys.set(scope.slice(4), [...(fullNameKeys.get(scope.slice(4)) ?? []), gate.slice(at + 1)]);
  }
  if (fullNames.length > 0) {
    where.push('name NOT IN (?)');
    values.push(fullNames);
  }
  if (fullQueueKeys.length > 0) {
    where.push(`${KEY_SQL} NOT IN (?)`);
    values.push(fullQueueKeys);
  }
  for (const [name, keys] of fullNameKeys) {
    where.push(`NOT (name = ? AND ${KEY_SQL} IN (?))`);
    values.push(name, keys);
  }
  values.push(batch);
  return {
    sql: `SELECT ${JOB_SELECT}, enqueue_seq FROM ${jobs} FORCE INDEX (jobs_runnable) WHERE ${where.join(' AND ')} ORDER BY priority DESC, enqueue_seq LIMIT ? FOR UPDATE SKIP LOCKED`,
    values,
  };
}

/** A job row as admission reads it: its queue, name and limit key (from the parameters' JSON text). */
export function limitedJob(row: Row): LimitedJob {
  let key: string | null = null;
  if (row.parameters !== '{}') {
    try {
      const value = (JSON.parse(row.parameters as string) as Record<string, unknown>)[LIMIT_KEY_PARAMETER];
      if (typeof value === 'string') key = value;
    } catch {
      // A row whose parameters cannot be read runs without a key; the server fails it on decode.
    }
  }
  return { id: row.id as string, queue: row.queue as string, name: row.name as string, limitKey: key };
}
