import type { BoundedQueue } from './bounded-queue.js';

/** Options of {@link startConsumers}. */
export interface ConsumersOptions<T> {
  /** Consumers taking items at once, at least 1. */
  consumers: number;
  /** Does the work of one item. Rejections go to `onError`; the consumer goes on with the next item. */
  handle: (item: T) => Promise<void>;
  /** Told about an item whose work failed. An in-process queue has no retries: the item is lost. */
  onError: (item: T, error: unknown) => void;
}

/** Consumers running on a queue. */
export interface RunningConsumers {
  /** Items being worked on now (taken from the queue, not finished). */
  readonly busy: number;
  /** Resolves once the queue is closed, empty, and every consumer has finished its last item. */
  readonly finished: Promise<void>;
}

/**
 * Starts `consumers` loops that take items from the queue one at a time and work on them, until
 * the queue is closed and drained. Several consumers give the work its concurrency; the queue's
 * capacity bounds how much waits for them.
 */
export function startConsumers<T extends NonNullable<unknown>>(queue: BoundedQueue<T>, options: ConsumersOptions<T>): RunningConsumers {
  if (!Number.isInteger(options.consumers) || options.consumers < 1) {
    throw new RangeError(`consumers must be an integer of at least 1, got ${options.consumers}`);
  }
  let busy = 0;
  const loop = async (): Promise<void> => {
    for await (const item of queue) {
      busy += 1;
      try {
        await options.handle(item);
      } catch (error) {
        options.onError(item, error);
      } finally {
        busy -= 1;
      }
    }
  };
  const finished = Promise.all(Array.from({ length: options.consumers }, loop)).then(() => undefined);
  return {
    get busy() {
      return busy;
    },
    finished,
  };
}
