import type { JobDefinition } from '@spool/core';
import { defineJob } from '@spool/core';

import { quantile } from './stats.js';

/** A job that reports when it starts, and the loop that measures enqueue-to-start with it. */
export interface LatencyProbe {
  /** Register it with the Spool that runs it. */
  job: JobDefinition<null, void>;
  /**
   * Enqueues one probe at a time (`enqueue` does it), waits until it starts, then `gapMs` more,
   * `samples` times; returns the p50 and p99 of enqueue-to-start in ms.
   */
  measure(enqueue: () => Promise<unknown>, samples: number, gapMs: number): Promise<{ p50: number; p99: number }>;
}

/** A fresh probe: its job must be the only `bench.latency` job the measured server runs. */
export function latencyProbe(): LatencyProbe {
  let started: (at: number) => void = () => undefined;
  return {
    job: defineJob('bench.latency', () => {
      started(performance.now());
    }),
    async measure(enqueue, samples, gapMs) {
      const latencies: number[] = [];
      for (let i = 0; i < samples; i++) {
        const startedAt = new Promise<number>((resolve) => (started = resolve));
        const before = performance.now();
        await enqueue();
        latencies.push((await startedAt) - before);
        await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
    },
  };
}
