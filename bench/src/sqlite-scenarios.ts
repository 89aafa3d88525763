import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool, defineJob } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';
import { latencyProbe } from './latency-probe.js';

/** A fresh SQLite database in a temporary folder; removed by `dispose`. */
function freshDatabase(): { path: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'spool-bench-'));
  return { path: join(dir, 'bench.db'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Jobs per second to enqueue `count` no-op jobs with enqueueMany, in batches of `batch`. */
export async function enqueueManyRate(count: number, batch: number): Promise<number> {
  const db = freshDatabase();
  const noop = defineJob('bench.noop', () => undefined);
  const spool = new Spool({ storage: new SqliteStorage({ path: db.path }), jobs: [noop] });
  await spool.init();
  const args = Array.from({ length: batch }, (_, i) => ({ i }));
  const started = performance.now();
  for (let done = 0; done < count; done += batch) await spool.enqueueMany(noop, args);
  const seconds = (performance.now() - started) / 1000;
  await spool.close();
  db.dispose();
  return count / seconds;
}

/** Jobs per second for one server at `concurrency` to run `count` no-op jobs already enqueued. */
export async function burnDownRate(count: number, concurrency: number): Promise<number> {
  const db = freshDatabase();
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const noop = defineJob('bench.noop', () => {
    if (++done === count) finish();
  });
  const spool = new Spool({ storage: new SqliteStorage({ path: db.path }), jobs: [noop] });
  for (let i = 0; i < count; i += 5000) await spool.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
  const started = performance.now();
  const server = await spool.startServer({ concurrency, handleSignals: false });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  // Let the last completions land before stopping, so the database ends consistent.
  await server.stop();
  const succeeded = (await spool.stats()).states.succeeded;
  if (succeeded !== count) throw new Error(`burn-down: expected ${count} succeeded, found ${succeeded}`);
  await spool.close();
  db.dispose();
  return count / seconds;
}

/** Enqueue-to-start latency in ms (p50, p99) at light load: one job at a time. */
export async function enqueueToStartLatency(samples: number): Promise<{ p50: number; p99: number }> {
  const db = freshDatabase();
  const probe = latencyProbe();
  const spool = new Spool({ storage: new SqliteStorage({ path: db.path }), jobs: [probe.job] });
  const server = await spool.startServer({ concurrency: 10, handleSignals: false });
  const latency = await probe.measure(() => spool.enqueue(probe.job, null), samples, 2);
  await server.stop();
  await spool.close();
  db.dispose();
  return latency;
}
