import { describe, expect, it } from 'vitest';

import { BoundedQueue, QueueClosedError } from '../src/bounded-queue.js';
import { startConsumers } from '../src/queue-consumers.js';

/** Whether a promise has settled after pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('a bounded queue', () => {
  it('makes a producer wait while it is full and lets it in when a consumer takes an item', async () => {
    const queue = new BoundedQueue<number>(2);
    await queue.add(1);
    await queue.add(2);
    expect(queue.tryAdd(3)).toBe(false);
    const third = queue.add(3);
    expect(await settled(third)).toBe(false);
    expect(queue.waitingProducers).toBe(1);
    expect(await queue.take()).toBe(1);
    expect(await settled(third)).toBe(true);
    expect(queue.size).toBe(2);
    expect([await queue.take(), await queue.take()]).toEqual([2, 3]);
  });

  it('lets waiting producers in in the order they came', async () => {
    const queue = new BoundedQueue<string>(1);
    await queue.add('a');
    const waiting = ['b', 'c', 'd'].map((item) => queue.add(item));
    const taken: string[] = [];
    for (let i = 0; i < 4; i += 1) taken.push((await queue.take())!);
    await Promise.all(waiting);
    expect(taken).toEqual(['a', 'b', 'c', 'd']);
  });

  it('hands an item straight to a consumer that waits on an empty queue', async () => {
    const queue = new BoundedQueue<number>(1);
    const taking = queue.take();
    expect(await settled(taking)).toBe(false);
    expect(queue.tryAdd(7)).toBe(true);
    expect(await taking).toBe(7);
    expect(queue.size).toBe(0);
  });

  it('refuses new items once closed, refuses waiting producers, and still hands out what it holds', async () => {
    const queue = new BoundedQueue<number>(1);
    await queue.add(1);
    const waiting = queue.add(2);
    queue.close();
    await expect(waiting).rejects.toBeInstanceOf(QueueClosedError);
    expect(() => queue.tryAdd(3)).toThrow(QueueClosedError);
    await expect(queue.add(3)).rejects.toMatchObject({ code: 'ERR_QUEUE_CLOSED' });
    expect(await settled(queue.drained())).toBe(false);
    expect(await queue.take()).toBe(1);
    expect(await queue.take()).toBeUndefined();
    await queue.drained();
  });

  it('stops a waiting producer or consumer whose signal aborts, without losing its place to others', async () => {
    const queue = new BoundedQueue<number>(1);
    await queue.add(1);
    const controller = new AbortController();
    const gaveUp = queue.add(2, controller.signal);
    const kept = queue.add(3);
    controller.abort(new Error('client left'));
    await expect(gaveUp).rejects.toThrow('client left');
    expect(queue.waitingProducers).toBe(1);
    expect(await queue.take()).toBe(1);
    await kept;
    expect(await queue.take()).toBe(3);
    const taker = new AbortController();
    const take = queue.take(taker.signal);
    taker.abort(new Error('stop'));
    await expect(take).rejects.toThrow('stop');
    expect(queue.tryAdd(4)).toBe(true);
    expect(queue.size).toBe(1);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
    expect(() => new BoundedQueue(1.5)).toThrow(RangeError);
  });
});

describe('consumers on a bounded queue', () => {
  it('work on every item with at most N at once, and finish after close once the queue is drained', async () => {
    const queue = new BoundedQueue<number>(3);
    let busy = 0;
    let mostBusy = 0;
    const done: number[] = [];
    const failures: number[] = [];
    const consumers = startConsumers(queue, {
      consumers: 4,
      handle: async (n) => {
        busy += 1;
        mostBusy = Math.max(mostBusy, busy);
        await new Promise((resolve) => setTimeout(resolve, 2));
        busy -= 1;
        if (n % 10 === 0) throw new Error(`item ${n} fails`);
        done.push(n);
      },
      onError: (n) => failures.push(n),
    });
    for (let n = 1; n <= 100; n += 1) await queue.add(n);
    queue.close();
    await consumers.finished;
    expect(done.length + failures.length).toBe(100);
    expect(failures).toEqual(expect.arrayContaining([10, 50, 100]));
    expect(new Set(done).size).toBe(90);
    expect(mostBusy).toBeLessThanOrEqual(4);
    expect(mostBusy).toBeGreaterThan(1);
    expect(consumers.busy).toBe(0);
  });
});
