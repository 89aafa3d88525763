import { LIMIT_KEY_PARAMETER } from '../../limits/limits.js';
import type { HandoverScopes } from '../../limits/handover.js';
import { handoverGate, handoverScopes } from '../../limits/handover.js';
import { KEY_SEPARATOR } from '../../limits/admission.js';
import type { FetchedJob } from '../../job/records.js';
import type { Completion, JobsCompleteParams, JobsCompleteResult } from '../contract.js';
import type { MemoryEvents } from './memory-events.js';
import type { MemoryJobChanges } from './memory-job-changes.js';
import type { MemoryLimits } from './memory-limits.js';
import type { MemoryJob, MemoryState } from './memory-state.js';
import { toFetched } from './memory-state.js';

/**
 * A completion write that passes the places its successes free to the next jobs of their keys
 * (decision 53): each such success is written, then its key's next waiting job is admitted by the
 * same rules as a claim's, against the gate it just freed, and leased to the writing server.
 */
export class MemoryHandover {
  constructor(
    private readonly state: MemoryState,
    private readonly changes: MemoryJobChanges,
    private readonly flow: MemoryLimits,
  ) {}

  complete(params: JobsCompleteParams, completions: readonly Completion[], now: number, events: MemoryEvents): JobsCompleteResult {
    const handover = params.handover!;
    const inForce = this.flow.inForce();
    const scopes = handover.limit > 0 ? handoverScopes(inForce, handover.queues, handover.names) : null;
    const handedOver: FetchedJob[] = [];
    const results = completions.map((completion) => {
      const gate = scopes !== null && handedOver.length < handover.limit ? this.passingGate(completion, scopes) : null;
      if (gate === null) return { id: completion.id, ok: this.changes.complete(completion, now, params.serverId, events) };
      const queue = this.state.jobs.get(completion.id)!.queue;
      const ok = this.changes.complete(completion, now, params.serverId, events, false);
      const next = this.nextOfKey(queue, gate, handover.names);
      const admitted = next === null ? [] : this.flow.admit([next], inForce, now, 1).admitted;
      if (admitted.length === 0) events.enqueued(queue);
      for (const { job, gates } of admitted) {
        this.changes.startProcessing(job, now, params.serverId, handover.leaseMs, gates);
        handedOver.push(toFetched(job));
      }
      return { id: completion.id, ok };
    });
    return { results, handedOver };
  }

  /** The gate a success's place passes through, or null (not a success that holds a gate that may pass). */
  private passingGate(completion: Completion, scopes: HandoverScopes): string | null {
    if (completion.outcome.state !== 'succeeded') return null;
    const job = this.state.jobs.get(completion.id);
    if (job?.state !== 'processing' || job.leaseToken !== completion.leaseToken || job.heldGates === null) return null;
    return handoverGate(scopes, { queue: job.queue, heldGates: job.heldGates });
  }

  /** The first waiting job of the gate's name and key in the queue, unless the queue is paused. */
  private nextOfKey(queue: string, gate: string, names: readonly string[] | null): MemoryJob | null {
    if (this.state.pausedQueues.has(queue)) return null;
    const cut = gate.indexOf(KEY_SEPARATOR);
    const name = gate.slice(4, cut);
    const key = gate.slice(cut + 1);
    if (names !== null && !names.includes(name)) return null;
    const byPriority = this.state.enqueued.get(queue);
    for (const priority of [...(byPriority?.keys() ?? [])].sort((a, b) => b - a)) {
      for (const job of byPriority!.get(priority)!.values()) {
        if (job.name === name && job.parameters[LIMIT_KEY_PARAMETER] === key) return job;
      }
    }
    return null;
  }
}
