import type { AuditEntry, AuditOutcome, AuditSubject } from './audit-contract.js';
import type { MetricsCount, MetricsPeriod, MetricsSeries } from './metrics-contract.js';

/** A row as a SQL driver returns it: column name to value (numbers may come back as strings). */
type Row = Readonly<Record<string, unknown>>;

/**
 * A stored job metrics count from a row of columns `at`, `name`, `queue`, `series`, `bin`, `count`
 * (times in milliseconds), for the SQL storages.
 */
export function metricsCountFromRow(period: MetricsPeriod, r: Row): MetricsCount {
  return { period, at: new Date(Number(r.at)), name: r.name as string, queue: r.queue as string, series: r.series as MetricsSeries, bin: Number(r.bin), count: Number(r.count) };
}

/** A stored audit entry from a row of its columns (`targets` as JSON text, `at` in milliseconds), for the SQL storages. */
export function auditEntryFromRow(r: Row): AuditEntry {
  return {
    seq: Number(r.seq),
    at: new Date(Number(r.at)),
    actor: r.actor as string,
    action: r.action as string,
    subject: r.subject as AuditSubject,
    targets: JSON.parse(r.targets as string) as string[],
    count: Number(r.count),
    outcome: r.outcome as AuditOutcome,
    message: r.message as string,
  };
}
