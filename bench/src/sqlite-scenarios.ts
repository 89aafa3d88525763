import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool, defineJob } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';
import Database from 'better-sqlite3';

import { latencyProbe } from './latency-probe.js';
import { pollUntilFinished } from './poll-until-finished.js';

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

/**
 * Jobs per second for one server at `concurrency` to run `count` no-op jobs already enqueued. The
 * clock starts with the server and stops when the storage reports all `count` jobs succeeded
 * (`monitoring.stats()` of a second storage on the same file, as a monitor would read it, polled
 * every few ms), not when the last handler returns. The pre-filled tables are `ANALYZE`d first, as
 * a database in production would have statistics.
 */
export async function burnDownRate(count: number, concurrency: number): Promise<number> {
  const db = freshDatabase();
  const noop = defineJob('bench.noop', () => undefined);
  const writer = new Spool({ storage: new SqliteStorage({ path: db.path }), jobs: [noop] });
  for (let i = 0; i < count; i += 5000) await writer.enqueueMany(noop, Array.from({ length: Math.min(5000, count - i) }, () => null));
  await writer.close();
  analyze(db.path);
  // The server's storage opens after ANALYZE, so its connection plans with the statistics.
  const spool = new Spool({ storage: new SqliteStorage({ path: db.path }), jobs: [noop] });
  await spool.init();
  const monitor = new SqliteStorage({ path: db.path });
  await monitor.init();
  const succeeded = async () => (await monitor.monitoring.stats()).states.succeeded;
  try {
    const started = performance.now();
    const server = await spool.startServer({ concurrency, handleSignals: false });
    const finish = await pollUntilFinished(succeeded, count);
    const seconds = (finish.at - started) / 1000;
    await server.stop();
    const final = await succeeded();
    if (final !== count) throw new Error(`burn-down: expected ${count} succeeded, found ${final}`);
    return count / seconds;
  } finally {
    await monitor.close();
    await spool.close();
    db.dispose();
  }
}

/** Runs SQLite's ANALYZE on the database file, on a connection of its own. */
function analyze(path: string): void {
  const connection = new Database(path);
  try {
    connection.exec('ANALYZE');
  } finally {
    connection.close();
  }
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
