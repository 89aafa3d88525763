import type { MetricsCount, MetricsExpireParams, MetricsReadParams, MetricsRecordParams } from '@spool/core';
import { metricsCountFromRow } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';
import type { Tables } from './tables.js';

/**
 * Adds counts to the stored ones in one statement, rows in key order, so that two servers adding
 * the same keys at once wait for each other instead of deadlocking (a deadlock that happens anyway
 * is retried by the storage). A key given twice adds up: the upsert applies rows one by one.
 */
export async function recordMetrics(db: Executor, t: Tables, params: MetricsRecordParams): Promise<void> {
  const rows = params.counts
    .map((c) => [c.period, c.at.getTime(), c.name, c.queue, c.series, c.bin, c.count] as const)
    .sort((a, b) => compareKeys(a, b));
  await db.exec(`INSERT INTO ${t.metrics} (period, at, name, queue, series, bin, count) VALUES ? ON DUPLICATE KEY UPDATE count = count + VALUES(count)`, [rows]);
}

/** The counts of one width whose periods start in `[from, to)`. */
export async function readMetrics(db: Executor, t: Tables, params: MetricsReadParams): Promise<MetricsCount[]> {
  const rows = await db.rows(`SELECT at, name, queue, series, bin, count FROM ${t.metrics} WHERE period = ? AND at >= ? AND at < ?`, [
    params.period,
    params.from.getTime(),
    params.to.getTime(),
  ]);
  return rows.map((r) => metricsCountFromRow(params.period, r));
}

/** Removes the counts of one width whose periods start before `before`. */
export async function expireMetrics(db: Executor, t: Tables, params: MetricsExpireParams): Promise<{ deleted: number }> {
  const { affectedRows } = await db.exec(`DELETE FROM ${t.metrics} WHERE period = ? AND at < ?`, [params.period, params.before.getTime()]);
  return { deleted: affectedRows };
}

type Key = readonly [string, number, string, string, string, number, number];

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < 6; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
