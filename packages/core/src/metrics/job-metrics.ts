import { SpoolError } from '../errors.js';
import type { Storage } from '../storage/contract.js';
import type { MetricsCount, MetricsPeriod } from '../storage/metrics-contract.js';
import { METRICS_PERIOD_MS, periodStart } from './metrics-recorder.js';
import { histogramQuantile } from './time-histogram.js';

/** The windows job metrics are read over: the last hour (by minute) or the last day (by hour). */
export type JobMetricsWindow = 'hour' | 'day';

/** Every window, shortest first. */
export const JOB_METRICS_WINDOWS: readonly JobMetricsWindow[] = ['hour', 'day'];

/** Percentiles of a time, in milliseconds; null when nothing was observed. */
export interface TimePercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** The metrics of one job name in one queue over a window. */
export interface JobMetricsRow {
  name: string;
  queue: string;
  /** Attempts that succeeded. */
  succeeded: number;
  /** Attempts that failed for good (no attempts left, or unrecoverable). */
  failed: number;
  /** Attempts that failed and were scheduled again. */
  retried: number;
  /** Successes per minute over the window. */
  succeededPerMinute: number;
  /** Failed attempts (failed and retried) per minute over the window. */
  failedPerMinute: number;
  /** Failed attempts (failed and retried) over every attempt; null when none ended. */
  failureRate: number | null;
  /** From when a job was due (its run time, else its creation) to its start. */
  wait: TimePercentiles;
  /** From a start to its recorded outcome. */
  run: TimePercentiles;
}

/** Outcomes of one period of a window, over every job name. */
export interface JobMetricsPoint {
  at: Date;
  succeeded: number;
  failed: number;
}

/** Job metrics over a window: a row per job name and queue, and outcomes per period for charts. */
export interface JobMetricsReport {
  window: JobMetricsWindow;
  /** The periods read: minutes for the last hour, hours for the last day. */
  period: MetricsPeriod;
  from: Date;
  to: Date;
  /** Rows by job name, then queue. */
  rows: JobMetricsRow[];
  /** One point per period of the window, oldest first, the current (partial) period last. */
  points: JobMetricsPoint[];
}

const WINDOWS: Readonly<Record<JobMetricsWindow, { period: MetricsPeriod; periods: number }>> = {
  hour: { period: 'minute', periods: 60 },
  day: { period: 'hour', periods: 24 },
};

/**
 * Reads the job metrics of a window from storage's aggregates (no job is read) and computes rates
 * and percentiles from the merged histograms. The window ends with the period that holds `now`
 * (storage time) and spans 60 minutes or 24 hours, the current one included.
 */
export async function readJobMetrics(storage: Pick<Storage, 'metricsRead' | 'now'>, window: JobMetricsWindow): Promise<JobMetricsReport> {
  const shape = WINDOWS[window];
  if (!shape) throw new SpoolError('ERR_CONFIG', `The metrics window must be one of ${JOB_METRICS_WINDOWS.join(', ')}; received ${JSON.stringify(window)}. Use 'hour' or 'day'.`);
  const width = METRICS_PERIOD_MS[shape.period];
  const to = periodStart(shape.period, await storage.now()) + width;
  const from = to - shape.periods * width;
  const counts = await storage.metricsRead({ period: shape.period, from: new Date(from), to: new Date(to) });
  return summarizeMetrics(counts, { window, period: shape.period, from, to });
}

/** Rates, failure rates and percentiles per job name and queue, and outcomes per period, from stored counts. */
export function summarizeMetrics(counts: readonly MetricsCount[], span: { window: JobMetricsWindow; period: MetricsPeriod; from: number; to: number }): JobMetricsReport {
  const width = METRICS_PERIOD_MS[span.period];
  const minutes = (span.to - span.from) / 60_000;
  const groups = new Map<string, { name: string; queue: string; succeeded: number; failed: number; retried: number; wait: Map<number, number>; run: Map<number, number> }>();
  const points = new Map<number, JobMetricsPoint>();
  for (let at = span.from; at < span.to; at += width) points.set(at, { at: new Date(at), succeeded: 0, failed: 0 });
  for (const c of counts) {
    const key = JSON.stringify([c.name, c.queue]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { name: c.name, queue: c.queue, succeeded: 0, failed: 0, retried: 0, wait: new Map(), run: new Map() }));
    const point = points.get(c.at.getTime());
    if (c.series === 'wait' || c.series === 'run') g[c.series].set(c.bin, (g[c.series].get(c.bin) ?? 0) + c.count);
    else {
      g[c.series] += c.count;
      if (point) point[c.series === 'succeeded' ? 'succeeded' : 'failed'] += c.count;
    }
  }
  const rows = [...groups.values()]
    .map((g): JobMetricsRow => {
      const failedAttempts = g.failed + g.retried;
      const attempts = g.succeeded + failedAttempts;
      return {
        name: g.name,
        queue: g.queue,
        succeeded: g.succeeded,
        failed: g.failed,
        retried: g.retried,
        succeededPerMinute: g.succeeded / minutes,
        failedPerMinute: failedAttempts / minutes,
        failureRate: attempts === 0 ? null : failedAttempts / attempts,
        wait: percentiles(g.wait),
        run: percentiles(g.run),
      };
    })
    .sort((a, b) => compare(a.name, b.name) || compare(a.queue, b.queue));
  return { window: span.window, period: span.period, from: new Date(span.from), to: new Date(span.to), rows, points: [...points.values()] };
}

function percentiles(histogram: Map<number, number>): TimePercentiles {
  return { p50: histogramQuantile(histogram, 0.5), p95: histogramQuantile(histogram, 0.95), p99: histogramQuantile(histogram, 0.99) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
