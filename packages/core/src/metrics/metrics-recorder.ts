import type { MetricsCount, MetricsPeriod, MetricsSeries } from '../storage/metrics-contract.js';
import { timeBin } from './time-histogram.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** How long the counts of each period width are kept in storage. */
export const METRICS_RETENTION_MS: Readonly<Record<MetricsPeriod, number>> = { minute: 24 * HOUR_MS, hour: 7 * 24 * HOUR_MS };

/** The width of each period, in milliseconds. */
export const METRICS_PERIOD_MS: Readonly<Record<MetricsPeriod, number>> = { minute: MINUTE_MS, hour: HOUR_MS };

/** The start of the period of width `period` that holds `at`. */
export function periodStart(period: MetricsPeriod, at: number): number {
  const width = METRICS_PERIOD_MS[period];
  return Math.floor(at / width) * width;
}

/**
 * Gathers one server's job metrics in memory as counts per (period, start, job name, queue,
 * series, bin), each observation counted once per period width, until they are taken to be added
 * to storage. Counting is a map update: the completion path gains no storage write.
 */
export class MetricsRecorder {
  #counts = new Map<string, MetricsCount>();

  /** An attempt's outcome at `at`, with its run time. */
  outcome(name: string, queue: string, series: 'succeeded' | 'failed' | 'retried', at: number, runMs: number): void {
    this.#add(name, queue, series, 0, at);
    this.#add(name, queue, 'run', timeBin(runMs), at);
  }

  /** A start at `at`, after waiting `waitMs` since the job was due. */
  started(name: string, queue: string, at: number, waitMs: number): void {
    this.#add(name, queue, 'wait', timeBin(Math.max(0, waitMs)), at);
  }

  /** Whether nothing is gathered. */
  get empty(): boolean {
    return this.#counts.size === 0;
  }

  /** The counts gathered so far; the recorder starts again from nothing. */
  take(): MetricsCount[] {
    const counts = [...this.#counts.values()];
    this.#counts = new Map();
    return counts;
  }

  /** Gives back counts that could not be stored, so that the next flush adds them. */
  restore(counts: readonly MetricsCount[]): void {
    for (const c of counts) this.#addCount(c.period, c.at.getTime(), c.name, c.queue, c.series, c.bin, c.count);
  }

  #add(name: string, queue: string, series: MetricsSeries, bin: number, at: number): void {
    this.#addCount('minute', periodStart('minute', at), name, queue, series, bin, 1);
    this.#addCount('hour', periodStart('hour', at), name, queue, series, bin, 1);
  }

  #addCount(period: MetricsPeriod, start: number, name: string, queue: string, series: MetricsSeries, bin: number, count: number): void {
    const key = JSON.stringify([period, start, name, queue, series, bin]);
    const entry = this.#counts.get(key);
    if (entry) entry.count += count;
    else this.#counts.set(key, { period, at: new Date(start), name, queue, series, bin, count });
  }
}
