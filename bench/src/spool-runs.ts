import type { JobDefinition, ServerOptions, Spool } from '@spool/core';

import type { LatencyProbe } from './latency-probe.js';

/** Jobs per second for `spool` to enqueue `count` jobs of `job` with enqueueMany, in batches of `batch`. */
export async function timeBulkEnqueue(spool: Spool, job: JobDefinition<{ i: number }, void>, count: number, batch: number): Promise<number> {
  const args = Array.from({ length: batch }, (_, i) => ({ i }));
  const started = performance.now();
  for (let done = 0; done < count; done += batch) await spool.enqueueMany(job, args);
  return count / ((performance.now() - started) / 1000);
}

/**
 * Enqueue-to-start latency (p50, p99 in ms) of `probe`, enqueued by `client` one at a time and run by
 * a server of `worker` (another storage on the same database) at concurrency 10; closes both after.
 */
export async function measureServerLatency(
  client: Spool,
  worker: Spool,
  probe: LatencyProbe,
  samples: number,
  server: Omit<ServerOptions, 'concurrency' | 'handleSignals'> = {},
): Promise<{ p50: number; p99: number }> {
  const running = await worker.startServer({ ...server, concurrency: 10, handleSignals: false });
  try {
    // Let the server's wake-up path (LISTEN, a change watcher) come up first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return await probe.measure(() => client.enqueue(probe.job, null), samples, 5);
  } finally {
    await running.stop();
    await worker.close();
    await client.close();
  }
}
