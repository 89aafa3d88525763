import type { StorageEvent } from '@spool/core';

import type { Harness } from './harness.js';

/** How long a distributed storage may take to deliver an event (real time: events cross connections). */
const DELIVERY_TIMEOUT_MS = 5_000;

/** Waits until an event matching `match` has arrived; fails after the delivery timeout. */
export async function arrives(events: StorageEvent[], match: (event: StorageEvent) => boolean, what: string): Promise<StorageEvent> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const found = events.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} event arrived; got ${JSON.stringify(events)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Makes a marker event (a job-state for a job of its own) and waits for it, so that events sent
 * before it had the chance to arrive.
 */
export async function settle(h: Harness, events: StorageEvent[]): Promise<void> {
  const marker = await h.createOne({ queue: 'marker' });
  await h.storage.jobSetState({ id: marker, expected: ['enqueued'], state: 'deleted', reason: 'marker' });
  await arrives(events, (e) => e.type === 'job-state' && e.id === marker, 'marker job-state');
}

export const isState = (id: string, state: string) => (e: StorageEvent) => e.type === 'job-state' && e.id === id && e.state === state;
export const isEnqueued = (queue: string) => (e: StorageEvent) => e.type === 'jobs-enqueued' && e.queues.includes(queue);
