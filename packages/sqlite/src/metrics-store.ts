import type { MetricsCount, MetricsExpireParams, MetricsReadParams, MetricsRecordParams, MetricsSeries } from '@spool/core';

import type { SqliteConnection } from './sqlite-connection.js';

const ADD_SQL = `INSERT INTO spool_metrics (period, at, name, queue, series, bin, count) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (period, at, name, queue, series, bin) DO UPDATE SET count = count + excluded.count`;
const READ_SQL = 'SELECT at, name, queue, series, bin, count FROM spool_metrics WHERE period = ? AND at >= ? AND at < ?';
const EXPIRE_SQL = 'DELETE FROM spool_metrics WHERE period = ? AND at < ?';

interface MetricsRow {
  at: number;
  name: string;
  queue: string;
  series: MetricsSeries;
  bin: number;
  count: number;
}

/** Adds counts to the stored ones (run inside the write transaction). */
export function recordMetrics(conn: SqliteConnection, params: MetricsRecordParams): void {
  const add = conn.stmt(ADD_SQL);
  for (const c of params.counts) add.run(c.period, c.at.getTime(), c.name, c.queue, c.series, c.bin, c.count);
}

/** The counts of one width whose periods start in `[from, to)`. */
export function readMetrics(conn: SqliteConnection, params: MetricsReadParams): MetricsCount[] {
  const rows = conn.stmt(READ_SQL).all(params.period, params.from.getTime(), params.to.getTime()) as MetricsRow[];
  return rows.map((r) => ({ period: params.period, at: new Date(r.at), name: r.name, queue: r.queue, series: r.series, bin: r.bin, count: r.count }));
}

/** Removes the counts of one width whose periods start before `before`. */
export function expireMetrics(conn: SqliteConnection, params: MetricsExpireParams): { deleted: number } {
  return { deleted: conn.stmt(EXPIRE_SQL).run(params.period, params.before.getTime()).changes };
}
