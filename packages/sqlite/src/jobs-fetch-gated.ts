import { LIMIT_KEY_PARAMETER, limitSkipIntent } from '@spool/core';
import type { FetchedJob } from '@spool/core';
import type { GateState, LimitedJob, LimitsInForce } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, admitJobs, fullGates, gatesOfJobs, keyHeadRows, keyedNames, keyedScopes, scopesOfClaim, skippedReason } from '@spool/core/storage-kit';

import type { JobValues } from './job-row.js';
import { COL, JOB_SELECT } from './job-row.js';
import { transition } from './job-transition.js';
import { readGates, readKeyGates, writeGates } from './limits-store.js';
import type { WriteContext } from './write-context.js';

// The claim of a queue with limits in force reads candidates in queue order, passing over jobs of
// gates already full (their job name, or their key in their name's or queue's scope), and lets core
// decide which of them start (admitJobs). All in the fetch's BEGIN IMMEDIATE transaction: no other
// connection changes a gate in between. When admission fills a gate, the rest of that gate's jobs
// are passed over by the next round, so a large key never hides a small one (fairness).
/** A job's key for per-key limits, as spool_jobs_keyed (migration 6) indexes it. */
const KEY_EXPR = `iif(json_valid(parameters), json_extract(parameters, '$."${LIMIT_KEY_PARAMETER}"'), NULL)`;
const KEY_SQL = `coalesce(${KEY_EXPR}, '')`;
// The full gates are a list that SQLite turns into an index once per statement (`NOT IN` a subquery),
// so passing over a backlog of a full key costs one probe per row. Jobs of names whose limits go
// per key are not read here but key by key, and those of them without a key apart (below): this
// read then passes over none of them, and runs only for the claim's other names (or any name).
const PICK_GATED_SQL = (named: boolean) => `SELECT ${JOB_SELECT}, rowid FROM spool_jobs INDEXED BY spool_jobs_runnable
WHERE state = 'enqueued' AND queue = ? ${named ? 'AND name IN (SELECT value FROM json_each(?))' : 'AND ? IS NULL'}
  AND 'job:' || name NOT IN (SELECT value FROM json_each(?))
  AND 'job:' || name || '${KEY_SEPARATOR}' || ${KEY_SQL} NOT IN (SELECT value FROM json_each(?))
  AND 'queue:' || queue || '${KEY_SEPARATOR}' || ${KEY_SQL} NOT IN (SELECT value FROM json_each(?))
ORDER BY priority DESC, enqueue_seq LIMIT ?`;
// The jobs without a key of one name whose limits go per key, through spool_jobs_unkeyed (migration 7).
const UNKEYED_SQL = `SELECT ${JOB_SELECT}, rowid FROM spool_jobs INDEXED BY spool_jobs_unkeyed
WHERE state = 'enqueued' AND ${KEY_EXPR} IS NULL AND queue = ? AND name = ?
ORDER BY priority DESC, enqueue_seq LIMIT ?`;

// The keys of one name's waiting jobs, one index probe each (a skip scan of spool_jobs_keyed), and
// the first jobs of each key: a claim reads a few rows per key, however long a key's backlog is.
const KEYS_SQL = `WITH RECURSIVE keys(k) AS (
  SELECT (SELECT ${KEY_EXPR} FROM spool_jobs INDEXED BY spool_jobs_keyed
    WHERE state = 'enqueued' AND ${KEY_EXPR} IS NOT NULL AND queue = @queue AND name = @name ORDER BY ${KEY_EXPR} LIMIT 1)
  UNION ALL
  SELECT (SELECT ${KEY_EXPR} FROM spool_jobs INDEXED BY spool_jobs_keyed
    WHERE state = 'enqueued' AND ${KEY_EXPR} IS NOT NULL AND queue = @queue AND name = @name AND ${KEY_EXPR} > keys.k ORDER BY ${KEY_EXPR} LIMIT 1)
  FROM keys WHERE keys.k IS NOT NULL
) SELECT k FROM keys WHERE k IS NOT NULL`;
// The first @rows jobs of each key of a list, in one statement (one index probe per key).
const HEADS_SQL = `SELECT ${JOB_SELECT.replace(/(\w+)/g, 'j.$1')}, j.rowid FROM json_each(@keys) k JOIN spool_jobs j ON j.rowid IN (
  SELECT rowid FROM spool_jobs INDEXED BY spool_jobs_keyed
  WHERE state = 'enqueued' AND ${KEY_EXPR} IS NOT NULL AND queue = @queue AND name = @name AND ${KEY_EXPR} = k.value
  ORDER BY priority DESC, enqueue_seq LIMIT @rows)`;

/** Rounds of one queue's gated claim: each passes over the gates the previous one filled. */
const MAX_ROUNDS = 4;

/** One queue's gated claim. */
export interface GatedClaim {
  queue: string;
  names: readonly string[] | null;
  wanted: number;
  limits: LimitsInForce;
}

/**
 * Claims up to `wanted` jobs of one queue under the limits in force: `start` leases each admitted
 * row with its gates; jobs skipped under `onLocked: 'skip'` are deleted. Emits no events of its own
 * claims (a skip's deletion is an event).
 */
export function claimGated(ctx: WriteContext, claim: GatedClaim, start: (row: JobValues, gates: readonly string[]) => FetchedJob): FetchedJob[] {
  const gates = new Map<string, GateState>();
  const fetched: FetchedJob[] = [];
  // The scopes' own gates first: the queue's decides every job of it, a name's every job of that name.
  for (const [gate, st] of readGates(ctx.conn, scopesOfClaim(claim.limits, claim.queue, claim.names, { ownGate: true }))) gates.set(gate, st);
  // Jobs of names whose limits go per key are read key by key and without a key apart; the claim's
  // other names (any name, when it names none) in queue order, passing over full gates.
  const keyed = claim.names === null ? [] : keyedNames(claim.limits, claim.queue, claim.names);
  const others = claim.names === null ? null : claim.names.filter((name) => !keyed.includes(name));
  // What the keys of those names hold, so that the key-by-key read passes over the full ones unread.
  for (const [gate, st] of readKeyGates(ctx.conn, keyedScopes(claim.limits, claim.queue, keyed))) gates.set(gate, st);
  for (let round = 0; round < MAX_ROUNDS && fetched.length < claim.wanted; round++) {
    const want = claim.wanted - fetched.length;
    const full = fullGates(claim.limits, gates, ctx.now);
    if (full.has(`queue:${claim.queue}`)) break; // the queue's own gate is full
    const batch = Math.min(1_000, Math.max(50, want * 4));
    const rows: JobValues[] = [];
    let more = false;
    for (const name of keyed) {
      if (full.has(`job:${name}`)) continue;
      const heads = keyHeads(ctx, claim, name, full, keyHeadRows(claim.limits, claim.queue, name, want), batch);
      const unkeyed = ctx.conn.raw(UNKEYED_SQL).all(claim.queue, name, batch) as JobValues[];
      rows.push(...heads, ...unkeyed);
      // A key's first jobs are all it may start: its heads need another round only when the read
      // stopped at `batch` before the last key.
      more ||= heads.length >= batch || unkeyed.length === batch;
    }
    if (others === null || others.length > 0) {
      const fullJson = JSON.stringify([...full]);
      const scanned = ctx.conn.raw(PICK_GATED_SQL(others !== null)).all(claim.queue, others === null ? null : JSON.stringify(others), fullJson, fullJson, fullJson, batch) as JobValues[];
      rows.push(...scanned);
      more ||= scanned.length === batch;
    }
    if (rows.length === 0) break;
    rows.sort((a, b) => (b[COL.priority] as number) - (a[COL.priority] as number) || (a[COL.enqueue_seq] as number) - (b[COL.enqueue_seq] as number));
    const candidates = rows.map(limitedJob);
    const unread = gatesOfJobs(claim.limits, candidates).filter((g) => !gates.has(g));
    for (const [gate, st] of readGates(ctx.conn, unread)) gates.set(gate, st);
    const admission = admitJobs({ candidates, limits: claim.limits, gates, now: ctx.now, want });
    for (const [gate, st] of admission.gates) gates.set(gate, st);
    writeGates(ctx.conn, admission.gates);
    if (admission.admitted.length > 0) ctx.tookGates();
    const byId = new Map(rows.map((row) => [row[COL.id] as string, row]));
    for (const { job, gates: taken } of admission.admitted) fetched.push(start(byId.get(job.id)!, taken));
    for (const { job, gate } of admission.skipped) {
      transition(ctx, { id: job.id, from: 'enqueued', intent: limitSkipIntent(gate, skippedReason(gate)), serverId: null }, ctx.events);
    }
    // Another round passes over the gates this one found or filled, when a read may have left jobs behind.
    if (!more) break;
  }
  return fetched;
}

/**
 * The first waiting jobs of the keys of one name whose key gates are not full, `rows` per key, of at
 * most enough keys for `enough` rows. The keys are taken from a random one on, round the list, so
 * that no key is always left out.
 */
function keyHeads(ctx: WriteContext, claim: GatedClaim, name: string, full: ReadonlySet<string>, rows: number, enough: number): JobValues[] {
  const keys = ctx.conn.pluck(KEYS_SQL).all({ queue: claim.queue, name }) as string[];
  const open: string[] = [];
  const first = Math.floor(Math.random() * keys.length);
  for (let i = 0; i < keys.length && open.length * rows < enough; i++) {
    const key = keys[(first + i) % keys.length]!;
    if (!full.has(`job:${name}${KEY_SEPARATOR}${key}`) && !full.has(`queue:${claim.queue}${KEY_SEPARATOR}${key}`)) open.push(key);
  }
  if (open.length === 0) return [];
  return ctx.conn.raw(HEADS_SQL).all({ keys: JSON.stringify(open), queue: claim.queue, name, rows }) as JobValues[];
}

function limitedJob(row: JobValues): LimitedJob {
  let key: string | null = null;
  try {
    const parameters = JSON.parse(row[COL.parameters] as string) as Record<string, unknown>;
    const value = parameters[LIMIT_KEY_PARAMETER];
    if (typeof value === 'string') key = value;
  } catch {
    // A row whose parameters cannot be read runs without a key; the server fails it on decode.
  }
  return { id: row[COL.id] as string, queue: row[COL.queue] as string, name: row[COL.name] as string, limitKey: key };
}
