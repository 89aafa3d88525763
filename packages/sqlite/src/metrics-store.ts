import type { MetricsCount, MetricsExpireParams, MetricsReadParams, MetricsRecordParams } from '@spool/core';
import { metricsCountFromRow } from '@spool/core/storage-kit';

import type { SqliteConnection } from './sqlite-connection.js';

const ADD_SQL = `INSERT INTO spool_metrics (period, at, name, queue, series, bin, count) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (period, at, name, queue, series, bin) DO UPDATE SET count = count + excluded.count`;
const READ_SQL = 'SELECT at, name, queue, series, bin, count FROM spool_metrics WHERE period = ? AND at >= ? AND at < ?';
const EXPIRE_SQL = 'DELETE FROM spool_metrics WHERE period = ? AND at < ?';

/** Adds counts to the stored ones (run inside the write transaction). */
export function recordMetrics(conn: SqliteConnection, params: MetricsRecordParams): void {
  const add = conn.stmt(ADD_SQL);
  for (const c of params.counts) add.run(c.period, c.at.getTime(), c.name, c.queue, c.series, c.bin, c.count);
}

/** The counts of one width whose periods start in `[from, to)`. */
export function readMetrics(conn: SqliteConnection, params: MetricsReadParams): MetricsCount[] {
  const rows = conn.stmt(READ_SQL).all(params.period, params.from.getTime(), params.to.getTime()) as Array<Record<string, unknown>>;
  return rows.map((r) => metricsCountFromRow(params.period, r));
}

/** Removes the counts of one width whose periods start before `before`. */
export function expireMetrics(conn: SqliteConnection, params: MetricsExpireParams): { deleted: number } {
  return { deleted: conn.stmt(EXPIRE_SQL).run(params.period, params.before.getTime()).changes };
}
