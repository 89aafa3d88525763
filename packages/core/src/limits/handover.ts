import type { LimitsInForce } from './admission.js';
import { KEY_SEPARATOR } from './admission.js';
import type { Limits } from './limits.js';

/**
 * Where a place that a success frees may pass, in the success's own write, to the next waiting job
 * of the same key, leased to the same server (decision 53): names whose only limit is a per-key
 * concurrency that waits (no rate, no concurrency of the name, `onLocked: 'wait'`), in queues without
 * limits. There a key's places are its own: a claim would give a freed place to the key's next job
 * and to nothing else, so passing it directly is what the claim would decide, without the claim.
 */
export interface HandoverScopes {
  /** Job names whose key gates may pass their places (`job:<name>#<key>`). */
  names: string[];
  /** Queues whose jobs may take a place passed on (they have no limits of their own). */
  queues: string[];
}

/** Whether a scope's limits are a per-key concurrency and nothing else that gates a start. */
function perKeyConcurrencyOnly(limits: Limits | undefined): boolean {
  if (limits === undefined || limits.concurrency !== null || limits.rate !== null || limits.perKey === null) return false;
  return limits.perKey.concurrency !== null && limits.perKey.rate === null && limits.perKey.onLocked === 'wait';
}

/**
 * The scopes of a server's hand-over: of its job names (`null`: every name with limits in force)
 * and queues. Null when nothing may pass, so that a write without limits in reach stays as it was.
 */
export function handoverScopes(limits: LimitsInForce, queues: readonly string[], names: readonly string[] | null): HandoverScopes | null {
  if (limits.size === 0) return null;
  const candidates = names ?? [...limits.keys()].filter((scope) => scope.startsWith('job:')).map((scope) => scope.slice(4));
  const eligibleNames = candidates.filter((name) => perKeyConcurrencyOnly(limits.get(`job:${name}`)));
  const eligibleQueues = queues.filter((queue) => !limits.has(`queue:${queue}`));
  if (eligibleNames.length === 0 || eligibleQueues.length === 0) return null;
  return { names: eligibleNames, queues: eligibleQueues };
}

/**
 * The key gate a finished job's place passes through, or null when it may not pass: the job held
 * exactly one gate, its name's key gate, and its queue may take a place passed on.
 */
export function handoverGate(scopes: HandoverScopes, job: { queue: string; heldGates: readonly string[] }): string | null {
  if (job.heldGates.length !== 1 || !scopes.queues.includes(job.queue)) return null;
  const gate = job.heldGates[0]!;
  const cut = gate.indexOf(KEY_SEPARATOR);
  if (cut < 0 || !gate.startsWith('job:')) return null;
  return scopes.names.includes(gate.slice(4, cut)) ? gate : null;
}
