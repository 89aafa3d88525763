import { QueueFullError } from '../errors.js';
import type { Storage } from '../storage/contract.js';
import type { Runtime } from '../util/runtime.js';

/** What an enqueue does when its queue is full. */
export interface FullPolicy {
  /** `reject`: throw `QueueFullError` at once; `wait`: try again as room frees, until `timeoutMs`. */
  onFull: 'reject' | 'wait';
  /** How long a `wait` waits for room before it throws `QueueFullError`. */
  timeoutMs: number;
}

/**
 * How often a waiting enqueue tries again without a wake-up: the storage's events (a job leaving
 * the queue) wake it at once where they reach this process; this poll covers those that do not
 * (a server in another process on a storage with local notifications only).
 */
export const FULL_QUEUE_POLL_MS = 200;

/**
 * Runs `create` and, when it is refused for a full queue under `onFull: 'wait'`, runs it again each
 * time a storage event or the poll says room may have freed, until it fits or the deadline passes:
 * then the last refusal is thrown, with how long it waited. The storage decides each time, under
 * its lock, so the bound holds however many producers wait; waiting producers are served in no
 * particular order.
 */
export async function createWithRoom<T>(storage: Storage, runtime: Runtime, policy: FullPolicy, create: () => Promise<T>): Promise<T> {
  const started = runtime.clock.now();
  for (;;) {
    const woken = new AbortController();
    // Subscribed before the attempt, so that room freed while it runs is not missed: a job that
    // leaves the queue (claimed, deleted) changes state; the sleep then ends at once.
    const unsubscribe = policy.onFull === 'wait' ? storage.subscribe((event) => event.type !== 'jobs-scheduled' && woken.abort()) : () => undefined;
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof QueueFullError) || policy.onFull === 'reject') throw error;
      const waited = runtime.clock.now() - started;
      const left = policy.timeoutMs - waited;
      if (left <= 0) throw new QueueFullError(error.queue, error.size, error.bound, error.adding, Math.max(1, waited));
      await runtime.sleep(Math.min(FULL_QUEUE_POLL_MS, left), woken.signal);
    } finally {
      unsubscribe();
    }
  }
}
