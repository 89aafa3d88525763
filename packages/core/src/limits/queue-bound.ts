import { QueueFullError } from '../errors.js';
import type { JobState } from '../states/states.js';
import type { Limits, LimitScope } from './limits.js';
import { limitsFromJson, scopeOf } from './limits.js';

/** The bounds in force, by queue name: only bounded queues. */
export type QueueBounds = ReadonlyMap<string, number>;

/**
 * The queue bounds in force from stored limit records: each queue scope's `maxSize` in the layer in
 * force (the operator's where set, else the code's).
 */
export function queueBoundsInForce(records: ReadonlyArray<{ scope: LimitScope; code: Limits | null; operator: { limits: Limits } | null }>): Map<string, number> {
  const bounds = new Map<string, number>();
  for (const r of records) {
    if (!('queue' in r.scope)) continue;
    const limits = r.operator?.limits ?? r.code;
    if (limits?.maxSize !== null && limits?.maxSize !== undefined) bounds.set(r.scope.queue, limits.maxSize);
  }
  return bounds;
}

/**
 * The queue bounds in force from limit rows as SQL storages keep them (the scope id, and each layer
 * as core's stored JSON text or null).
 */
export function queueBoundsOfRows(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Map<string, number> {
  const layer = (text: unknown): Limits | null => (text === null || text === undefined ? null : limitsFromJson(JSON.parse(text as string)));
  return queueBoundsInForce(
    rows.map((row) => {
      const operator = layer(row['operator']);
      return { scope: scopeOf(row['scope'] as string), code: layer(row['code']), operator: operator === null ? null : { limits: operator } };
    }),
  );
}

/**
 * How many enqueued jobs a create adds to each bounded queue: the jobs it creates (not those
 * answered by a unique key's holder) whose first state is `enqueued`. Scheduled jobs and
 * continuations are counted when they become enqueued, and never refused then (see
 * docs/flow-control.md#bounded-queues).
 */
export function boundedAdditions(bounds: QueueBounds, created: Iterable<{ queue: string; state: JobState }>): Map<string, number> {
  const adding = new Map<string, number>();
  if (bounds.size === 0) return adding;
  for (const job of created) {
    if (job.state !== 'enqueued' || !bounds.has(job.queue)) continue;
    adding.set(job.queue, (adding.get(job.queue) ?? 0) + 1);
  }
  return adding;
}

/**
 * Refuses a create that does not fit: throws {@link QueueFullError} for the first queue (by name)
 * whose enqueued jobs (`sizeOf`, the storage's maintained count, read under the queue's lock) and
 * the jobs the create adds exceed its bound. A create that fits returns; nothing of one that does
 * not may be written (all or none).
 */
export function checkQueueRoom(bounds: QueueBounds, adding: ReadonlyMap<string, number>, sizeOf: (queue: string) => number): void {
  for (const queue of [...adding.keys()].sort()) {
    const bound = bounds.get(queue);
    const count = adding.get(queue)!;
    if (bound === undefined || count === 0) continue;
    const size = sizeOf(queue);
    if (size + count > bound) throw new QueueFullError(queue, size, bound, count);
  }
}

/** The limit scope ids of the bounded queues among `queues`, sorted: the rows a create locks, in one order. */
export function boundScopesOf(queues: Iterable<string>): string[] {
  return [...new Set([...queues].map((q) => `queue:${q}`))].sort();
}
