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

/** One producer's place in a queue's line. */
interface Place {
  /** Ends the wait for the producer's turn. */
  turn: () => void;
}

/**
 * The producers of one process that wait for room in a bounded queue, in the order they began to
 * wait: only the first tries again as room frees, and a producer that arrives while others wait
 * lines up behind them instead of trying first. Producers of other processes are not in it: across
 * processes, whoever tries first when room frees gets it.
 */
export class RoomLines {
  private readonly lines = new Map<string, Place[]>();

  /** Whether producers of this process wait for room in `queue`. */
  waiting(queue: string): boolean {
    return (this.lines.get(queue)?.length ?? 0) > 0;
  }

  /** Puts a producer at the back of `queue`'s line. */
  join(queue: string): Place {
    const place: Place = { turn: () => undefined };
    const line = this.lines.get(queue) ?? [];
    line.push(place);
    this.lines.set(queue, line);
    return place;
  }

  /** Whether `place` is first in `queue`'s line. */
  first(queue: string, place: Place): boolean {
    return this.lines.get(queue)?.[0] === place;
  }

  /** Waits until `place` is first, or `ms` have passed. */
  async untilFirst(queue: string, place: Place, runtime: Runtime, ms: number): Promise<void> {
    if (this.first(queue, place)) return;
    const turn = new AbortController();
    place.turn = () => turn.abort();
    await runtime.sleep(ms, turn.signal);
  }

  /** Takes `place` out of `queue`'s line; the next producer's turn begins at once. */
  leave(queue: string, place: Place): void {
    const line = this.lines.get(queue);
    if (!line) return;
    const index = line.indexOf(place);
    if (index >= 0) line.splice(index, 1);
    if (line.length === 0) this.lines.delete(queue);
    else if (index === 0) line[0]!.turn();
  }
}

/**
 * Runs `create` and, when it is refused for a full queue under `onFull: 'wait'`, runs it again each
 * time a storage event or the poll says room may have freed, until it fits or the deadline passes:
 * then the last refusal is thrown, with how long it waited. The storage decides each time, under
 * its lock, so the bound holds however many producers wait. With `lines` and the create's one
 * `queue`, the producers of this process are served in the order they began to wait.
 */
export async function createWithRoom<T>(
  storage: Storage,
  runtime: Runtime,
  policy: FullPolicy,
  create: () => Promise<T>,
  lines: RoomLines | null = null,
  queue: string | null = null,
): Promise<T> {
  const started = runtime.clock.now();
  const line = policy.onFull === 'wait' && lines !== null && queue !== null ? { lines, queue } : null;
  // Others of this process already wait for room in the queue: this producer's turn comes after theirs.
  let place = line !== null && line.lines.waiting(line.queue) ? line.lines.join(line.queue) : null;
  try {
    for (;;) {
      const left = policy.timeoutMs - (runtime.clock.now() - started);
      if (place !== null && line !== null && !line.lines.first(line.queue, place)) {
        // At the deadline the producer tries once more out of turn, to fail with the queue's state as it is.
        if (left > 0) {
          await line.lines.untilFirst(line.queue, place, runtime, left);
          continue;
        }
      }
      const woken = new AbortController();
      // Subscribed before the attempt, so that room freed while it runs is not missed: a job that
      // leaves the queue (claimed, deleted) changes state; the sleep then ends at once.
      const unsubscribe = policy.onFull === 'wait' ? storage.subscribe((event) => event.type !== 'jobs-scheduled' && woken.abort()) : () => undefined;
      try {
        return await create();
      } catch (error) {
        if (!(error instanceof QueueFullError) || policy.onFull === 'reject') throw error;
        const waited = runtime.clock.now() - started;
        if (policy.timeoutMs - waited <= 0) throw new QueueFullError(error.queue, error.size, error.bound, error.adding, Math.max(1, waited));
        if (place === null && line !== null) place = line.lines.join(line.queue);
        if (place === null || line === null || line.lines.first(line.queue, place)) {
          await runtime.sleep(Math.min(FULL_QUEUE_POLL_MS, policy.timeoutMs - waited), woken.signal);
        }
      } finally {
        unsubscribe();
      }
    }
  } finally {
    if (place !== null && line !== null) line.lines.leave(line.queue, place);
  }
}
