import type { GateState, LimitedJob, LimitsInForce } from './admission.js';
import { EMPTY_GATE, KEY_SEPARATOR, gateRulesOf, windowStartOf } from './admission.js';
import { formatWindow } from './limits.js';

/**
 * Why an enqueued job does not start now, in words an operator reads on its page, from the limits
 * in force and what its gates hold as stored (the same rules admission applies, in its order):
 * the first gate that holds it, or null when no limit holds it (it waits for a free server).
 */
export function waitReasonOf(job: LimitedJob, limits: LimitsInForce, gates: ReadonlyMap<string, GateState>, now: number): string | null {
  for (const rule of gateRulesOf(limits, job)) {
    const s = gates.get(rule.gate) ?? EMPTY_GATE;
    const where = gateInWords(rule.gate);
    if (s.pausedUntil > now) return `${where} is paused by a rate limit until ${new Date(s.pausedUntil).toISOString()}`;
    if (rule.concurrency !== null && s.running >= rule.concurrency) {
      return `waiting for a slot of ${where}: ${s.running} of ${rule.concurrency} running`;
    }
    if (rule.rate !== null) {
      const start = windowStartOf(now, rule.rate.perMs);
      if (s.windowStart === start && s.windowCount >= rule.rate.limit) {
        return `rate limit of ${where} (${rule.rate.limit} per ${formatWindow(rule.rate.perMs)}) is used up; next window at ${new Date(start + rule.rate.perMs).toISOString()}`;
      }
    }
  }
  return null;
}

/** A gate in words: `queue mail`, `job documents.export`, `key 42 of job documents.export`. */
export function gateInWords(gate: string): string {
  const at = gate.indexOf(KEY_SEPARATOR);
  const scope = at < 0 ? gate : gate.slice(0, at);
  const words = scope.startsWith('queue:') ? `queue ${scope.slice(6)}` : `job ${scope.slice(4)}`;
  return at < 0 ? words : `key ${gate.slice(at + 1)} of ${words}`;
}
