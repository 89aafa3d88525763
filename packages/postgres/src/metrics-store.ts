import type { MetricsCount, MetricsExpireParams, MetricsReadParams, MetricsRecordParams } from '@spool/core';
import { metricsCountFromRow } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';

/**
 * Adds counts to the stored ones in one statement. Keys given twice are summed first (an upsert may
 * not touch a row twice), and rows are written in key order, so that two servers adding the same
 * keys at once wait for each other instead of deadlocking.
 */
export async function recordMetrics(db: Executor, s: string, params: MetricsRecordParams): Promise<void> {
  const c = params.counts;
  await db.run(
    `INSERT INTO ${s}.metrics (period, at, name, queue, series, bin, count)
     SELECT period, at, name, queue, series, bin, sum(count) FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[])
       AS t (period, at, name, queue, series, bin, count)
     GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
     ON CONFLICT (period, at, name, queue, series, bin) DO UPDATE SET count = ${s}.metrics.count + excluded.count`,
    [c.map((x) => x.period), c.map((x) => x.at.getTime()), c.map((x) => x.name), c.map((x) => x.queue), c.map((x) => x.series), c.map((x) => x.bin), c.map((x) => x.count)],
  );
}

/** The counts of one width whose periods start in `[from, to)`. */
export async function readMetrics(db: Executor, s: string, params: MetricsReadParams): Promise<MetricsCount[]> {
  const rows = await db.run(`SELECT at, name, queue, series, bin, count FROM ${s}.metrics WHERE period = $1 AND at >= $2 AND at < $3`, [
    params.period,
    params.from.getTime(),
    params.to.getTime(),
  ]);
  return rows.map((r) => metricsCountFromRow(params.period, r));
}

/** Removes the counts of one width whose periods start before `before`. */
export async function expireMetrics(db: Executor, s: string, params: MetricsExpireParams): Promise<{ deleted: number }> {
  const rows = await db.run(`WITH gone AS (DELETE FROM ${s}.metrics WHERE period = $1 AND at < $2 RETURNING 1) SELECT count(*)::int AS n FROM gone`, [params.period, params.before.getTime()]);
  return { deleted: Number(rows[0]!.n) };
}
