import type { LimitRecord, Limits, LimitScope } from '@spool/core';
import { causeVariant, limitSkipIntent, scopeOf } from '@spool/core';
import type { Admission, GateState, LimitedJob, LimitsInForce } from '@spool/core/storage-kit';
import { admitJobs, gateRulesOf, gatesOfJobs, limitsFromJson, limitsInForce, skippedReason } from '@spool/core/storage-kit';

import type { RawHash } from './job-decode.js';
import type { ScriptName } from './scripts/index.js';

/** Runs one of the storage's scripts. */
export type ScriptCall = (name: ScriptName, doing: string, args: ReadonlyArray<string | number>) => Promise<unknown>;

/** One queue's claim under flow control. */
export interface GatedClaimParams {
  queue: string;
  names: readonly string[] | null;
  wanted: number;
  serverId: string;
  leaseMs: number;
  /** A fresh lease token base for each write (jobs leased together share it, numbered). */
  tokenBase: () => string;
  /** Where the reads key by key of this queue's job names go on from; updated by the claim. */
  cursors: KeyedCursors;
}

/**
 * Per job name whose limits go per key, where a read of its jobs went to: the last key it reached
 * (`keys`), and the last of its runnable entries it reached looking for jobs without a key
 * (`walks`). The next read goes on from there, so that with more keys, or more keyed jobs ahead of
 * a job without a key, than one read takes, every one is read in turn.
 */
export interface KeyedCursors {
  keys: Record<string, string>;
  walks: Record<string, string>;
}

/** A job leased by a gated claim, as the write script returned it. */
export interface GatedLease {
  id: string;
  token: string;
  raw: RawHash;
  /** The storage time of the lease. */
  now: number;
}

/** What a gated claim did: the jobs it leased and the events payloads of its writes. */
export interface GatedClaimResult {
  leased: GatedLease[];
  payloads: string[];
}

/**
 * Rounds of one queue's claim: each passes over the gates earlier rounds found full, so that a key
 * at its limit never hides another key's jobs (as SQLite's claim does).
 */
const MAX_ROUNDS = 4;
/**
 * Reads of one round when its writes keep meeting changed gates (other servers claiming or jobs
 * finishing in between). After that the claim returns what it has; the next fetch tries again.
 */
const MAX_ATTEMPTS = 5;
/**
 * Most runnable entries one candidate read goes through, a key of a name read key by key counting
 * as one: the bound on that script's work.
 */
const SCAN_BUDGET = 2_000;

/**
 * What one stored gate value says: '<running> <window start> <window count> <window end> <paused
 * until>' (see release_gates in lib.lua.ts; a value written before pauses existed has four fields).
 */
export function decodeGate(value: string): GateState {
  const [running, windowStart, windowCount, , pausedUntil] = value.split(' ').map(Number);
  return { running: running ?? 0, windowStart: windowStart ?? 0, windowCount: windowCount ?? 0, pausedUntil: pausedUntil ?? 0 };
}

/** A gate's stored value: its state, when its rate window ends (0 without a rate) so that release can forget it, and its pause. */
function encodeGate(s: GateState, perMs: number | null): string {
  return `${s.running} ${s.windowStart} ${s.windowCount} ${perMs === null ? 0 : s.windowStart + perMs} ${s.pausedUntil}`;
}

interface StoredLimits {
  c?: string;
  o?: string;
  by?: string;
  at?: string;
}

/** One scope's record as limits_set stores it, with what its own gate holds ('' for nothing). */
export function decodeLimitRecord(scope: string, record: string, gate: string): LimitRecord {
  const r = JSON.parse(record) as StoredLimits;
  return {
    scope: scopeOf(scope),
    code: r.c === undefined ? null : limitsFromJson(JSON.parse(r.c)),
    operator: r.o === undefined ? null : { limits: limitsFromJson(JSON.parse(r.o)), setBy: r.by ?? null, setAt: new Date(Number(r.at)) },
    running: gate === '' ? 0 : decodeGate(gate).running,
  };
}

function decodeInForce(pairs: string[]): LimitsInForce {
  const records: Array<{ scope: LimitScope; code: Limits | null; operator: { limits: Limits } | null }> = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const r = JSON.parse(pairs[i + 1]!) as StoredLimits;
    records.push({
      scope: scopeOf(pairs[i]!),
      code: r.c === undefined ? null : limitsFromJson(JSON.parse(r.c)),
      operator: r.o === undefined ? null : { limits: limitsFromJson(JSON.parse(r.o)) },
    });
  }
  return limitsInForce(records);
}

/** What a candidate read returned. */
interface CandidateRead {
  now: number;
  paused: boolean;
  more: boolean;
  version: string;
  limits: LimitsInForce;
  candidates: LimitedJob[];
  /** The stored value of every gate a candidate may take that holds something. */
  values: Map<string, string>;
  /** The read stopped at its most candidates: one passing over more gates reaches further. */
  cut: boolean;
}

/** The outcome of one round: what it leased, the gates it found full, whether the queue has nothing more to give. */
interface Round {
  leased: GatedLease[];
  payload: string;
  full: string[];
  done: boolean;
}

/**
 * Claims up to `wanted` jobs of one queue where limits may apply, in rounds: read the candidates
 * and the gates (`jobs_fetch_candidates`), let core decide (`admitJobs`), write the decision if
 * nothing it rests on has changed (`jobs_fetch_gated`), or read again. Never waits on anything but
 * its own bounded calls.
 */
export async function claimGated(call: ScriptCall, params: GatedClaimParams): Promise<GatedClaimResult> {
  const result: GatedClaimResult = { leased: [], payloads: [] };
  const pass = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS && result.leased.length < params.wanted; round++) {
    let outcome: Round | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && outcome === null; attempt++) {
      outcome = await claimRound(call, params, params.wanted - result.leased.length, pass);
    }
    if (outcome === null) break;
    result.leased.push(...outcome.leased);
    if (outcome.payload !== '') result.payloads.push(outcome.payload);
    const before = pass.size;
    for (const gate of outcome.full) pass.add(gate);
    // Another round helps only if this one found more gates to pass over, or started jobs.
    if (outcome.done || (pass.size === before && outcome.leased.length === 0)) break;
  }
  return result;
}

/** One read, decision and write; null when the write met a change (read again). */
async function claimRound(call: ScriptCall, params: GatedClaimParams, want: number, pass: ReadonlySet<string>): Promise<Round | null> {
  // As many candidates as the read goes through: the read then ends at its entries' bound, not at
  // its candidates', and a next round, which reads the same entries from the queue's head passing
  // over the gates found full, could only find the jobs this round left behind (decision 51).
  const read = await readCandidates(call, params, SCAN_BUDGET, pass);
  if (read.paused || read.candidates.length === 0) return { leased: [], payload: '', full: [], done: true };
  const gates = new Map<string, GateState>();
  for (const [gate, value] of read.values) gates.set(gate, decodeGate(value));
  const admission = admitJobs({ candidates: read.candidates, limits: read.limits, gates, now: read.now, want });
  const full = [...admission.held, ...admission.skipped].map((h) => h.gate);
  // Another round reads further only if this read was cut short, or skipped jobs it deletes (their
  // entries leave the head, so the same bound reaches new ones). Jobs leased leave it too, but the
  // next claim reads from there: a second read per claim cost as much as the first.
  const done = !read.more || full.includes(`queue:${params.queue}`) || (!read.cut && admission.skipped.length === 0);
  if (admission.admitted.length === 0 && admission.skipped.length === 0) return { leased: [], payload: '', full, done };
  const reply = (await call('jobsFetchGated', 'fetching jobs', writeArgs(params, read, admission))) as [number, number, string?, ...Array<string | RawHash>];
  if (Number(reply[1]) !== 1) return null;
  const now = Number(reply[0]);
  const leased: GatedLease[] = [];
  for (let i = 3; i < reply.length; i += 3) leased.push({ id: reply[i] as string, token: reply[i + 1] as string, raw: reply[i + 2] as RawHash, now });
  return { leased, payload: reply[2] ?? '', full, done };
}

async function readCandidates(call: ScriptCall, params: GatedClaimParams, batch: number, pass: ReadonlySet<string>): Promise<CandidateRead> {
  const args: Array<string | number> = [params.queue, batch, SCAN_BUDGET, JSON.stringify([...pass]), JSON.stringify({ k: params.cursors.keys, w: params.cursors.walks }), params.wanted];
  if (params.names === null) args.push(-1);
  else args.push(params.names.length, ...params.names);
  const [now, paused, more, version, limits, candidates, values, cut, reached] = (await call('jobsFetchCandidates', 'fetching jobs', args)) as [
    number,
    number,
    number,
    string,
    string[],
    string[],
    string[],
    number,
    string[],
  ];
  for (let i = 0; i < reached.length; i += 3) (reached[i] === 'k' ? params.cursors.keys : params.cursors.walks)[reached[i + 1]!] = reached[i + 2]!;
  const jobs: LimitedJob[] = [];
  for (let i = 0; i < candidates.length; i += 3) {
    jobs.push({ id: candidates[i]!, queue: params.queue, name: candidates[i + 1]!, limitKey: candidates[i + 2] === '' ? null : candidates[i + 2]! });
  }
  const held = new Map<string, string>();
  for (let i = 0; i < values.length; i += 2) held.set(values[i]!, values[i + 1]!);
  return { now: Number(now), paused: Number(paused) === 1, more: Number(more) === 1, version: String(version), limits: decodeInForce(limits), candidates: jobs, values: held, cut: Number(cut) === 1 };
}

/** The write script's arguments: the decision, and what it was decided on, to check unchanged. */
function writeArgs(params: GatedClaimParams, read: CandidateRead, admission: Admission): Array<string | number> {
  // The rate window of every gate a started job takes, to store its end and to bound how long the
  // decision holds: a start counted in a window must land in it.
  const perMs = new Map<string, number | null>();
  for (const { job } of admission.admitted) for (const rule of gateRulesOf(read.limits, job)) perMs.set(rule.gate, rule.rate?.perMs ?? null);
  let holdsUntil: number | null = null;
  const gates: Array<[string, string]> = [];
  for (const [gate, s] of admission.gates) {
    const window = perMs.get(gate) ?? null;
    gates.push([gate, encodeGate(s, window)]);
    if (window !== null && (holdsUntil === null || s.windowStart + window < holdsUntil)) holdsUntil = s.windowStart + window;
  }
  const decision = {
    read: gatesOfJobs(read.limits, read.candidates).map((gate) => [gate, read.values.get(gate) ?? '']),
    start: admission.admitted.map(({ job, gates: taken }) => [job.id, taken.length === 0 ? '' : JSON.stringify(taken)]),
    skip: admission.skipped.map(({ job, gate }) => {
      const intent = limitSkipIntent(gate, skippedReason(gate));
      return [job.id, causeVariant(intent.cause), intent.reason, JSON.stringify(intent.data)];
    }),
    gates,
  };
  return [params.serverId, params.leaseMs, params.tokenBase(), params.queue, read.version, holdsUntil ?? '', JSON.stringify(decision)];
}
