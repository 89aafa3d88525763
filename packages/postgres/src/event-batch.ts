import type { JobState, StorageEvent } from '@spool/core';
import { isJobState } from '@spool/core';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; job-state entries are left out beyond this. */
const MAX_PAYLOAD_CHARS = 7000;

/** What one NOTIFY carries: the sender, queues that got jobs, the earliest due time, job-state changes. */
interface Payload {
  o: string;
  q?: string[];
  s?: number;
  j?: Array<[string, JobState]>;
}

/**
 * Wake-up events gathered during one transaction, emitted to local listeners after it commits and sent
 * to other processes as one NOTIFY in the same transaction (PostgreSQL delivers it at commit, never
 * for a rollback). One `jobs-enqueued` per queue, a `jobs-scheduled` whenever the earliest due time
 * moves earlier, and a `job-state` per transition.
 */
export class EventBatch {
  readonly list: StorageEvent[] = [];
  private readonly queues = new Set<string>();
  private earliest: number | null = null;
  /** Job-state changes that other processes need (operator actions, rescues); completions stay local. */
  private readonly shared: Array<[string, JobState]> = [];

  /** Jobs became runnable in `queue`. */
  enqueued(queue: string): void {
    if (this.queues.has(queue)) return;
    this.queues.add(queue);
    this.list.push({ type: 'jobs-enqueued', queues: [queue] });
  }

  /** A job was scheduled to run at `at`. */
  scheduled(at: number): void {
    if (this.earliest !== null && at >= this.earliest) return;
    this.earliest = at;
    this.list.push({ type: 'jobs-scheduled', earliestRunAt: at });
  }

  /** A job moved to `state`; `share` sends it to other processes too. */
  state(id: string, state: JobState, share: boolean): void {
    this.list.push({ type: 'job-state', id, state });
    if (share) this.shared.push([id, state]);
  }

  /** The NOTIFY payload for these events, or null when other processes need not wake up. */
  payload(sender: string): string | null {
    if (this.queues.size === 0 && this.earliest === null && this.shared.length === 0) return null;
    const payload: Payload = { o: sender };
    if (this.queues.size > 0) payload.q = [...this.queues];
    if (this.earliest !== null) payload.s = this.earliest;
    if (this.shared.length > 0) payload.j = this.shared;
    let text = JSON.stringify(payload);
    if (text.length > MAX_PAYLOAD_CHARS) {
      delete payload.j;
      text = JSON.stringify(payload);
      // Thousands of queues in one commit: wake everyone up for the first ones; polling finds the rest.
      if (text.length > MAX_PAYLOAD_CHARS) text = JSON.stringify({ ...payload, q: payload.q?.slice(0, 50) });
    }
    return text;
  }
}

/** Decodes a NOTIFY payload into its sender and events; null for a payload this version cannot read. */
export function decodePayload(text: string): { sender: string; events: StorageEvent[] } | null {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Partial<Payload>;
  const events: StorageEvent[] = [];
  if (Array.isArray(p.q)) {
    const queues = p.q.filter((q): q is string => typeof q === 'string');
    if (queues.length > 0) events.push({ type: 'jobs-enqueued', queues });
  }
  if (typeof p.s === 'number') events.push({ type: 'jobs-scheduled', earliestRunAt: p.s });
  if (Array.isArray(p.j)) {
    for (const entry of p.j) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && isJobState(entry[1])) events.push({ type: 'job-state', id: entry[0], state: entry[1] });
    }
  }
  return { sender: typeof p.o === 'string' ? p.o : '', events };
}
