import { LIMIT_KEY_PARAMETER, limitSkipIntent } from '@spool/core';
import type { FetchedJob } from '@spool/core';
import type { GateState, LimitedJob, LimitsInForce } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, admitJobs, fullGates, gatesOfJobs, scopesOfClaim, skippedReason } from '@spool/core/storage-kit';

import type { JobValues } from './job-row.js';
import { COL, JOB_SELECT } from './job-row.js';
import { transition } from './job-transition.js';
import { readGates, writeGates } from './limits-store.js';
import type { WriteContext } from './write-context.js';

// The claim of a queue with limits in force reads candidates in queue order, passing over jobs of
// gates already full (their job name, or their key in their name's or queue's scope), and lets core
// decide which of them start (admitJobs). All in the fetch's BEGIN IMMEDIATE transaction: no other
// connection changes a gate in between. When admission fills a gate, the rest of that gate's jobs
// are passed over by the next round, so a large key never hides a small one (fairness).
const KEY_SQL = `coalesce(json_extract(parameters, '$."${LIMIT_KEY_PARAMETER}"'), '')`;
const PICK_GATED_SQL = (named: boolean) => `SELECT ${JOB_SELECT}, rowid FROM spool_jobs INDEXED BY spool_jobs_runnable
WHERE state = 'enqueued' AND queue = ? ${named ? 'AND name IN (SELECT value FROM json_each(?))' : 'AND ? IS NULL'}
  AND NOT EXISTS (SELECT 1 FROM json_each(?) f WHERE f.value IN ('job:' || name, 'job:' || name || '${KEY_SEPARATOR}' || ${KEY_SQL}, 'queue:' || queue || '${KEY_SEPARATOR}' || ${KEY_SQL}))
ORDER BY priority DESC, enqueue_seq LIMIT ?`;

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
  const names = claim.names === null ? null : JSON.stringify(claim.names);
  // The scopes' own gates first: the queue's decides every job of it, a name's every job of that name.
  for (const [gate, s] of readGates(ctx.conn, scopesOfClaim(claim.limits, claim.queue, claim.names))) gates.set(gate, s);
  for (let round = 0; round < MAX_ROUNDS && fetched.length < claim.wanted; round++) {
    const want = claim.wanted - fetched.length;
    // Only gates read so far count: a key's gate is read with its first candidates, so a full one
    // costs at most one round.
    const full = fullGates(claim.limits, gates, ctx.now);
    if (full.includes(`queue:${claim.queue}`)) break; // the queue's own gate is full
    const batch = Math.min(1_000, Math.max(50, want * 4));
    const rows = ctx.conn.raw(PICK_GATED_SQL(names !== null)).all(claim.queue, names, JSON.stringify(full), batch) as JobValues[];
    if (rows.length === 0) break;
    const candidates = rows.map(limitedJob);
    const unread = gatesOfJobs(claim.limits, candidates).filter((g) => !gates.has(g));
    for (const [gate, s] of readGates(ctx.conn, unread)) gates.set(gate, s);
    const admission = admitJobs({ candidates, limits: claim.limits, gates, now: ctx.now, want });
    for (const [gate, s] of admission.gates) gates.set(gate, s);
    writeGates(ctx.conn, admission.gates);
    if (admission.admitted.length > 0) ctx.tookGates();
    const byId = new Map(rows.map((row) => [row[COL.id] as string, row]));
    for (const { job, gates: taken } of admission.admitted) fetched.push(start(byId.get(job.id)!, taken));
    for (const { job, gate } of admission.skipped) {
      transition(ctx, { id: job.id, from: 'enqueued', intent: limitSkipIntent(gate, skippedReason(gate)), serverId: null }, ctx.events);
    }
    if (rows.length < batch) break; // the queue has no more candidates
  }
  return fetched;
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
