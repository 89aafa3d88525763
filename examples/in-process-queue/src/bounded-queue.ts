/** Thrown by `add` once the queue is closed: no more items are accepted. */
export class QueueClosedError extends Error {
  readonly code = 'ERR_QUEUE_CLOSED';

  constructor(message = 'The queue is closed: it accepts no more items.') {
    super(message);
    this.name = 'QueueClosedError';
  }
}

/** A producer waiting for room, with the item it will put in. */
type WaitingProducer<T> = { item: T; resolve: () => void; reject: (error: unknown) => void; detach: () => void };

/** A consumer waiting for an item; `undefined` tells it the queue is closed and empty. */
type WaitingConsumer<T> = { resolve: (item: T | undefined) => void; reject: (error: unknown) => void; detach: () => void };

/**
 * A bounded first-in, first-out queue in memory for async producers and consumers: the channel
 * pattern. It holds at most `capacity` items; `await add(item)` waits while it is full (back-pressure
 * on the producer, instead of dropping items or growing without limit), and `await take()` waits
 * while it is empty. `close()` stops new items; consumers still receive what is buffered, then
 * `undefined` (which is why items cannot be `undefined` or `null`).
 *
 * Nothing is persisted: whatever is buffered, or taken and not yet finished, lives only in this
 * process and is gone if the process dies.
 */
export class BoundedQueue<T extends NonNullable<unknown>> {
  /** The buffered items; `head` is the index of the oldest, so taking is O(1). */
  private items: Array<T | undefined> = [];
  private head = 0;
  private readonly producers: WaitingProducer<T>[] = [];
  private readonly consumers: WaitingConsumer<T>[] = [];
  private closed = false;
  private readonly drainedWaiters: Array<() => void> = [];

  /** @param capacity Most items buffered at once, at least 1. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be an integer of at least 1, got ${capacity}`);
    }
  }

  /** Items buffered now (not counting producers waiting for room). */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Producers waiting for room because the queue is full. */
  get waitingProducers(): number {
    return this.producers.length;
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Adds an item if there is room at once; false when the queue is full. Throws QueueClosedError
   * after `close()`.
   */
  tryAdd(item: T): boolean {
    if (this.closed) throw new QueueClosedError();
    const consumer = this.consumers.shift();
    if (consumer) {
      consumer.detach();
      consumer.resolve(item);
      return true;
    }
    if (this.size >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /**
   * Adds an item, waiting while the queue is full. Producers that wait are let in in the order they
   * came. Rejects with QueueClosedError if the queue is or gets closed before the item is in, and
   * with the signal's reason when the signal aborts first.
   */
  add(item: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (this.tryAdd(item)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiting: WaitingProducer<T> = { item, resolve, reject, detach: () => {} };
      if (signal) {
        const onAbort = () => {
          remove(this.producers, waiting);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.producers.push(waiting);
    });
  }

  /**
   * Takes the oldest item, waiting while the queue is empty. Resolves to `undefined` once the queue
   * is closed and empty; rejects with the signal's reason when the signal aborts first.
   */
  take(signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.size > 0) {
      const item = this.items[this.head]!;
      this.items[this.head] = undefined;
      this.head += 1;
      this.compact();
      this.admitWaitingProducer();
      this.notifyIfDrained();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const waiting: WaitingConsumer<T> = { resolve, reject, detach: () => {} };
      if (signal) {
        const onAbort = () => {
          remove(this.consumers, waiting);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.consumers.push(waiting);
    });
  }

  /**
   * Stops accepting items. Buffered items stay for the consumers; producers still waiting for room
   * are refused with QueueClosedError (their items never got in); consumers waiting on an empty
   * queue receive `undefined`. Calling it again does nothing.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const producer of this.producers.splice(0)) {
      producer.detach();
      producer.reject(new QueueClosedError('The queue was closed before there was room for this item.'));
    }
    for (const consumer of this.consumers.splice(0)) {
      consumer.detach();
      consumer.resolve(undefined);
    }
    this.notifyIfDrained();
  }

  /** Resolves once the queue is closed and every buffered item has been taken. */
  drained(): Promise<void> {
    if (this.closed && this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Takes items until the queue is closed and empty: `for await (const item of queue)`. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = await this.take();
      if (item === undefined) return;
      yield item;
    }
  }

  /** Moves the first waiting producer's item into the room a take just made. */
  private admitWaitingProducer(): void {
    const producer = this.producers.shift();
    if (!producer) return;
    producer.detach();
    this.items.push(producer.item);
    producer.resolve();
  }

  private notifyIfDrained(): void {
    if (!this.closed || this.size > 0) return;
    for (const resolve of this.drainedWaiters.splice(0)) resolve();
  }

  /** Drops the taken slots at the front once they are half of the array. */
  private compact(): void {
    if (this.head > 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

function remove<X>(list: X[], entry: X): void {
  const index = list.indexOf(entry);
  if (index >= 0) list.splice(index, 1);
}
