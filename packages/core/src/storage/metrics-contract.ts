/**
 * The part of the storage contract that keeps job metrics: per-minute and per-hour aggregates of
 * outcomes and of wait and run times, per job name and queue. Servers add to them; the dashboard
 * and `spool.jobMetrics` read them. No job is ever scanned for a metric.
 */

/** How wide an aggregate is: a minute (kept a day) or an hour (kept a week). */
export type MetricsPeriod = 'minute' | 'hour';

/**
 * What a count counts: attempts that `succeeded`, `failed` for good or `retried` (failed with an
 * attempt left), and the bins of the `wait` (due to start) and `run` time histograms.
 */
export type MetricsSeries = 'succeeded' | 'failed' | 'retried' | 'wait' | 'run';

/** Every series, in display order. */
export const METRICS_SERIES: readonly MetricsSeries[] = ['succeeded', 'failed', 'retried', 'wait', 'run'];

/**
 * One stored count: of `series` (and its histogram `bin`; 0 for the outcome series) for the jobs of
 * `name` in `queue`, in the period that starts at `at`.
 */
export interface MetricsCount {
  period: MetricsPeriod;
  /** The period's start: a whole minute or hour since the epoch. */
  at: Date;
  name: string;
  queue: string;
  series: MetricsSeries;
  bin: number;
  count: number;
}

/** Input of `Storage.metricsRecord`. */
export interface MetricsRecordParams {
  /** Counts to add to the stored ones (a count not stored yet starts at 0). */
  counts: readonly MetricsCount[];
}

/** Input of `Storage.metricsRead`. */
export interface MetricsReadParams {
  period: MetricsPeriod;
  /** Counts of periods that start at or after this time... */
  from: Date;
  /** ...and before this one. */
  to: Date;
}

/** Input of `Storage.metricsExpire`. */
export interface MetricsExpireParams {
  period: MetricsPeriod;
  /** Removes the counts of periods that start before this time. */
  before: Date;
}
