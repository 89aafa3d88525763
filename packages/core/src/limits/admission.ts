import type { Limits, LimitScope, RateLimit } from './limits.js';
import { scopeId } from './limits.js';

/**
 * Flow control's one decision: which of the jobs a claim found may start now, under the limits in
 * force and what their gates already hold. Every storage runs it inside its claim's atomic step
 * (with the gates it reads locked, or checked unchanged when it writes), so that limits hold across
 * every server. Pure: it reads nothing but its input.
 *
 * A gate is one counted share of a limit: a scope's (`queue:mail`, `job:documents.export`) or one
 * key's within a scope (`job:documents.export#customer-42`). A job takes every gate its limits name
 * when it starts and gives them back when it leaves `processing` (whatever the way out: outcome,
 * rescue, operator), so a lease that expires frees its place.
 */

/** What a gate holds: the jobs running under it, the starts of its current rate window, and its pause. */
export interface GateState {
  running: number;
  /** Start of the rate window `windowCount` counts, in storage-clock milliseconds. */
  windowStart: number;
  windowCount: number;
  /**
   * Until when no job of the gate starts (storage-clock milliseconds; 0: not paused): set when a job
   * of it threw `rateLimited(delay)`. Admission never writes it; the pausing change does.
   */
  pausedUntil: number;
}

/** A gate that holds nothing. */
export const EMPTY_GATE: Readonly<GateState> = Object.freeze({ running: 0, windowStart: 0, windowCount: 0, pausedUntil: 0 });

/** A job a claim considers, with what limits are decided by. */
export interface LimitedJob {
  id: string;
  queue: string;
  name: string;
  /** The job's key for per-key limits (its `spool.limitKey` parameter), or null. */
  limitKey: string | null;
}

/** One gate a job must pass and its rule. */
export interface GateRule {
  gate: string;
  concurrency: number | null;
  rate: RateLimit | null;
  /** For a key's gate at its concurrency: wait in the queue, or be skipped (deleted). */
  onLocked: 'wait' | 'skip';
}

/** The limits in force, by scope id (`queue:<q>`, `job:<name>`): only scopes that have limits. */
export type LimitsInForce = ReadonlyMap<string, Limits>;

/**
 * The limits in force from stored records: the operator's layer where set, else the code's. Only
 * limits that gate a claim count: a queue whose only limit is its bound (`maxSize`, checked at
 * enqueue) is claimed as a queue without limits.
 */
export function limitsInForce(records: ReadonlyArray<{ scope: LimitScope; code: Limits | null; operator: { limits: Limits } | null }>): Map<string, Limits> {
  const inForce = new Map<string, Limits>();
  for (const r of records) {
    const limits = r.operator?.limits ?? r.code;
    if (limits && (limits.concurrency !== null || limits.rate !== null || limits.perKey !== null)) inForce.set(scopeId(r.scope), limits);
  }
  return inForce;
}

/** Separates a scope from a key in a gate id; no queue or job name may contain it. */
export const KEY_SEPARATOR = '#';

/** Whether jobs of this queue and name are subject to any limit (else a claim takes them unchecked). */
export function isLimited(limits: LimitsInForce, queue: string, name: string): boolean {
  return limits.size > 0 && (limits.has(`queue:${queue}`) || limits.has(`job:${name}`));
}

/** The gates a job must pass, in a fixed order (its queue's, then its name's; each scope's before its key's). */
export function gateRulesOf(limits: LimitsInForce, job: LimitedJob): GateRule[] {
  const rules: GateRule[] = [];
  for (const scope of [`queue:${job.queue}`, `job:${job.name}`]) {
    const l = limits.get(scope);
    if (!l) continue;
    if (l.concurrency !== null || l.rate !== null) rules.push({ gate: scope, concurrency: l.concurrency, rate: l.rate, onLocked: 'wait' });
    if (l.perKey && job.limitKey !== null) {
      rules.push({ gate: `${scope}${KEY_SEPARATOR}${job.limitKey}`, concurrency: l.perKey.concurrency, rate: l.perKey.rate, onLocked: l.perKey.onLocked });
    }
  }
  return rules;
}

/** The gates every given job may take: what a storage reads (and locks) before it admits them. */
export function gatesOfJobs(limits: LimitsInForce, jobs: readonly LimitedJob[]): string[] {
  const gates = new Set<string>();
  for (const job of jobs) for (const rule of gateRulesOf(limits, job)) gates.add(rule.gate);
  return [...gates].sort();
}

/** Input of {@link admitJobs}. */
export interface AdmissionInput {
  /** Enqueued jobs in the order they would run (priority, then age). */
  candidates: readonly LimitedJob[];
  limits: LimitsInForce;
  /** What each gate holds now; a gate not given holds nothing. */
  gates: ReadonlyMap<string, GateState>;
  /** The storage clock's time. */
  now: number;
  /** How many jobs the claim may start at most. */
  want: number;
}

/** Output of {@link admitJobs}. */
export interface Admission {
  /** The jobs that start, in candidate order, each with the gates it takes. */
  admitted: Array<{ job: LimitedJob; gates: string[] }>;
  /** Jobs whose key is at its concurrency limit under `onLocked: 'skip'`: they are deleted, naming the gate. */
  skipped: Array<{ job: LimitedJob; gate: string }>;
  /** Jobs held back, each with the first gate that held it (they stay enqueued). */
  held: Array<{ job: LimitedJob; gate: string }>;
  /** The new state of every gate the admitted jobs take (and of gates whose window rolled over). */
  gates: Map<string, GateState>;
}

/** The start of the fixed window of `perMs` that holds `now` (windows are aligned on the epoch). */
export function windowStartOf(now: number, perMs: number): number {
  return now - (now % perMs);
}

/**
 * Decides which candidates start. A job starts when every gate of it has room: fewer running than
 * its concurrency, fewer starts in the current window than its rate, and not paused by a
 * `rateLimited` until later than now. It then counts in every gate
 * it takes. A job held back keeps its place; later candidates may still start (a key at its limit
 * does not block other keys), which is what keeps keys fair.
 */
export function admitJobs(input: AdmissionInput): Admission {
  const states = new Map<string, GateState>();
  const stateOf = (rule: GateRule): GateState => {
    let s = states.get(rule.gate);
    if (!s) {
      const stored = input.gates.get(rule.gate) ?? EMPTY_GATE;
      s = { running: stored.running, windowStart: stored.windowStart, windowCount: stored.windowCount, pausedUntil: stored.pausedUntil };
      if (rule.rate) {
        const start = windowStartOf(input.now, rule.rate.perMs);
        if (s.windowStart !== start) s = { ...s, windowStart: start, windowCount: 0 };
      }
      states.set(rule.gate, s);
    }
    return s;
  };
  const admission: Admission = { admitted: [], skipped: [], held: [], gates: new Map() };
  for (const job of input.candidates) {
    if (admission.admitted.length >= input.want) break;
    const rules = gateRulesOf(input.limits, job);
    let blocked: GateRule | null = null;
    let full = false;
    for (const rule of rules) {
      const s = stateOf(rule);
      const concurrencyFull = rule.concurrency !== null && s.running >= rule.concurrency;
      const rateFull = (rule.rate !== null && s.windowCount >= rule.rate.limit) || s.pausedUntil > input.now;
      if (concurrencyFull || rateFull) {
        blocked = rule;
        full = concurrencyFull;
        break;
      }
    }
    if (blocked) {
      if (full && blocked.onLocked === 'skip') admission.skipped.push({ job, gate: blocked.gate });
      else admission.held.push({ job, gate: blocked.gate });
      continue;
    }
    for (const rule of rules) {
      const s = stateOf(rule);
      s.running += 1;
      if (rule.rate) s.windowCount += 1;
      admission.gates.set(rule.gate, s);
    }
    admission.admitted.push({ job, gates: rules.map((r) => r.gate) });
  }
  return admission;
}

/** When the next rate window of any limit opens after `now`: when a server held back by a rate should look again. */
export function nextWindowOpening(limits: LimitsInForce, now: number): number | null {
  let next: number | null = null;
  for (const l of limits.values()) {
    for (const rate of [l.rate, l.perKey?.rate ?? null]) {
      if (!rate) continue;
      const at = windowStartOf(now, rate.perMs) + rate.perMs;
      if (next === null || at < next) next = at;
    }
  }
  return next;
}

/**
 * Whether a claim of this queue, for these job names (null: any), may meet a job with limits: then
 * the storage claims it through admission, else as it claims without limits.
 */
export function claimMayMeetLimits(limits: LimitsInForce, queue: string, names: readonly string[] | null): boolean {
  if (limits.size === 0) return false;
  if (limits.has(`queue:${queue}`)) return true;
  if (names !== null) return names.some((name) => limits.has(`job:${name}`));
  for (const scope of limits.keys()) if (scope.startsWith('job:')) return true;
  return false;
}

/**
 * The gates among `gates` that are full now (concurrency reached, the current rate window's
 * starts used up, or paused by a `rateLimited` until later): what a claim's candidate read passes over, so that a key at its limit never
 * hides the jobs of another key. A key at its concurrency under `onLocked: 'skip'` is not passed
 * over: its jobs must be reached to be skipped.
 */
export function fullGates(limits: LimitsInForce, gates: ReadonlyMap<string, GateState>, now: number): Set<string> {
  const full = new Set<string>();
  for (const [gate, state] of gates) {
    const at = gate.indexOf(KEY_SEPARATOR);
    const l = limits.get(at < 0 ? gate : gate.slice(0, at));
    const rule = at < 0 ? l : l?.perKey;
    if (!rule) continue;
    const concurrencyFull = rule.concurrency !== null && state.running >= rule.concurrency;
    const rateFull = (rule.rate !== null && windowStartOf(now, rule.rate.perMs) === state.windowStart && state.windowCount >= rule.rate.limit) || state.pausedUntil > now;
    const skips = at >= 0 && (rule as { onLocked?: string }).onLocked === 'skip';
    if (rateFull || (concurrencyFull && !skips)) full.add(gate);
  }
  return full;
}

/** The reason a job skipped under `onLocked: 'skip'` is deleted with. */
export function skippedReason(gate: string): string {
  return `Skipped: ${describeGate(gate)} is at its concurrency limit (onLocked: 'skip')`;
}

/** A gate in words, for reasons and the dashboard: `job documents.export, key 42`. */
export function describeGate(gate: string): string {
  const at = gate.indexOf(KEY_SEPARATOR);
  const scope = at < 0 ? gate : gate.slice(0, at);
  const words = scope.startsWith('queue:') ? `queue ${scope.slice(6)}` : `job ${scope.slice(4)}`;
  return at < 0 ? words : `${words}, key ${gate.slice(at + 1)}`;
}
