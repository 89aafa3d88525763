import { ConfigError } from '../errors.js';
import type { Limits } from '../limits/limits.js';
import type { Duration } from '../options/duration.js';
import { describe } from '../options/duration.js';
import { resolveOptions } from '../options/resolve.js';
import type { FullPolicy } from './queue-room-waiter.js';

/** Options of one queue in Spool's `queues` option. */
export interface QueueOptions {
  /**
   * The queue's bound: at most this many of its jobs wait enqueued (the code's layer of the queue's
   * limits; `spool.limits.set({ queue }, { maxSize })` overrides it at run time). Default: unbounded.
   */
  maxSize?: number;
  /** What an enqueue into the queue does when it is full, unless the enqueue says: `'reject'` (default) or `'wait'`. */
  onFull?: 'reject' | 'wait';
  /** How long `onFull: 'wait'` waits for room. Default 30 s. */
  fullTimeout?: Duration;
}

/** The default of `fullTimeout`: how long a waiting enqueue waits for room. */
export const DEFAULT_FULL_TIMEOUT_MS = 30_000;

/** A queue's options after validation. */
export interface ResolvedQueueOptions {
  /** The code's layer of the queue's limits (its bound), or null. */
  limits: Limits | null;
  full: FullPolicy;
}

const MAX_SIZE = 1_000_000;

/** Validates Spool's `queues` option; every problem is reported at once. */
export function resolveQueues(value: unknown): Map<string, ResolvedQueueOptions> {
  const queues = new Map<string, ResolvedQueueOptions>();
  if (value === undefined) return queues;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError([{ path: 'Spool options.queues', message: `expected { [queue]: { maxSize?, onFull?, fullTimeout? } }, got ${describe(value)}` }]);
  }
  for (const [queue, options] of Object.entries(value)) {
    const o = resolveOptions<QueueOptions & { fullTimeout?: number }>(
      {
        maxSize: { kind: 'integer', optional: true, min: 1, max: MAX_SIZE },
        onFull: { kind: 'oneOf', values: ['reject', 'wait'], optional: true },
        fullTimeout: { kind: 'duration', optional: true },
      },
      options,
      `Spool options.queues.${queue}`,
    );
    queues.set(queue, {
      limits: o.maxSize === undefined ? null : { concurrency: null, rate: null, perKey: null, maxSize: o.maxSize },
      full: { onFull: o.onFull ?? 'reject', timeoutMs: o.fullTimeout ?? DEFAULT_FULL_TIMEOUT_MS },
    });
  }
  return queues;
}
