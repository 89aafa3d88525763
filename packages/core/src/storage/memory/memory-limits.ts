import type { GateState, LimitedJob, LimitsInForce } from '../../limits/admission.js';
import { admitJobs, limitsInForce } from '../../limits/admission.js';
import { LIMIT_KEY_PARAMETER, scopeId } from '../../limits/limits.js';
import type { Limits } from '../../limits/limits.js';
import type { LimitRecord, LimitsSetParams } from '../contract.js';
import type { MemoryJob, MemoryState } from './memory-state.js';

/** The memory storage's flow control: stored limits, and the gates jobs take and give back. */
export class MemoryLimits {
  constructor(private readonly state: MemoryState) {}

  set(params: LimitsSetParams, now: number): void {
    const id = scopeId(params.scope);
    const record = this.state.limits.get(id) ?? { scope: params.scope, code: null, operator: null };
    if (params.layer === 'code') record.code = copy(params.limits);
    else record.operator = params.limits ? { limits: copy(params.limits)!, setBy: params.setBy, setAt: new Date(now) } : null;
    if (record.code === null && record.operator === null) this.state.limits.delete(id);
    else this.state.limits.set(id, record);
  }

  list(): LimitRecord[] {
    return [...this.state.limits.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, r]) => structuredClone({ ...r, running: this.state.gates.get(id)?.running ?? 0 }));
  }

  /** The limits in force now. */
  inForce(): LimitsInForce {
    return limitsInForce([...this.state.limits.values()]);
  }

  /**
   * Decides which of `candidates` start under the limits in force, and counts the admitted in their
   * gates. The caller starts the admitted (recording their gates) and deletes the skipped.
   */
  admit(candidates: readonly MemoryJob[], inForce: LimitsInForce, now: number, want: number) {
    const byId = new Map(candidates.map((job) => [job.id, job]));
    const admission = admitJobs({ candidates: candidates.map(limitedJob), limits: inForce, gates: this.state.gates, now, want });
    for (const [gate, s] of admission.gates) this.state.gates.set(gate, s);
    return {
      admitted: admission.admitted.map((a) => ({ job: byId.get(a.job.id)!, gates: a.gates })),
      skipped: admission.skipped.map((s) => ({ job: byId.get(s.job.id)!, gate: s.gate })),
    };
  }

  /** Pauses a gate until `until` (a rate-limited job's), keeping a later pause. */
  pause(gate: string | null, until: number): void {
    if (gate === null) return;
    const s = this.state.gates.get(gate) ?? { running: 0, windowStart: 0, windowCount: 0, pausedUntil: 0 };
    this.state.gates.set(gate, { ...s, pausedUntil: Math.max(s.pausedUntil, until) });
  }

  /** Gives back the gates a job took when it started. */
  release(gates: readonly string[]): void {
    for (const gate of gates) {
      const s = this.state.gates.get(gate);
      if (!s) continue;
      const next: GateState = { ...s, running: Math.max(0, s.running - 1) };
      if (next.running === 0 && next.windowCount === 0 && next.pausedUntil === 0) this.state.gates.delete(gate);
      else this.state.gates.set(gate, next);
    }
  }
}

/** What admission needs of a job. */
export function limitedJob(job: { id: string; queue: string; name: string; parameters: Record<string, unknown> }): LimitedJob {
  const key = job.parameters[LIMIT_KEY_PARAMETER];
  return { id: job.id, queue: job.queue, name: job.name, limitKey: typeof key === 'string' ? key : null };
}

function copy(limits: Limits | null): Limits | null {
  return limits === null ? null : structuredClone(limits);
}
