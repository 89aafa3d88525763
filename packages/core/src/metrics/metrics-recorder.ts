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

/** What one job name in one queue did in one minute. */
interface Cell {
  succeeded: number;
  failed: number;
  retried: number;
  wait: Map<number, number>;
  run: Map<number, number>;
}

/**
 * Gathers one server's job metrics in memory, per minute, job name and queue, until they are taken
 * to be added to storage: then each minute's counts are given for its minute and again for its hour,
 * so that both widths add up the same observations. Counting is a few map look-ups: the completion
 * path gains no storage write, and no key is built per job.
 */
export class MetricsRecorder {
  // minute start → job name → queue → counts
  #minutes = new Map<number, Map<string, Map<string, Cell>>>();

  /** An attempt's outcome at `at`, with its run time. */
  outcome(name: string, queue: string, series: 'succeeded' | 'failed' | 'retried', at: number, runMs: number): void {
    const cell = this.#cell(name, queue, at);
    cell[series] += 1;
    add(cell.run, timeBin(runMs), 1);
  }

  /** A start at `at`, after waiting `waitMs` since the job was due. */
  started(name: string, queue: string, at: number, waitMs: number): void {
    add(this.#cell(name, queue, at).wait, timeBin(Math.max(0, waitMs)), 1);
  }

  /** Whether nothing is gathered. */
  get empty(): boolean {
    return this.#minutes.size === 0;
  }

  /** The counts gathered so far, per minute and per hour; the recorder starts again from nothing. */
  take(): MetricsCount[] {
    const minutes = this.#minutes;
    this.#minutes = new Map();
    const counts: MetricsCount[] = [];
    const hours = new Map<string, MetricsCount>();
    for (const [minute, names] of minutes) {
      const hour = periodStart('hour', minute);
      for (const [name, queues] of names) {
        for (const [queue, cell] of queues) {
          const emit = (series: MetricsSeries, bin: number, count: number): void => {
            if (count === 0) return;
            counts.push({ period: 'minute', at: new Date(minute), name, queue, series, bin, count });
            const key = JSON.stringify([hour, name, queue, series, bin]);
            const stored = hours.get(key);
            if (stored) stored.count += count;
            else hours.set(key, { period: 'hour', at: new Date(hour), name, queue, series, bin, count });
          };
          emit('succeeded', 0, cell.succeeded);
          emit('failed', 0, cell.failed);
          emit('retried', 0, cell.retried);
          for (const [bin, count] of cell.wait) emit('wait', bin, count);
          for (const [bin, count] of cell.run) emit('run', bin, count);
        }
      }
    }
    return [...counts, ...hours.values()];
  }

  /**
   * Gives back counts that could not be stored, so that the next take gives them again. Only the
   * minute counts are kept: the hour counts are made from them again.
   */
  restore(counts: readonly MetricsCount[]): void {
    for (const c of counts) {
      if (c.period !== 'minute') continue;
      const cell = this.#cell(c.name, c.queue, c.at.getTime());
      if (c.series === 'wait' || c.series === 'run') add(cell[c.series], c.bin, c.count);
      else cell[c.series] += c.count;
    }
  }

  #cell(name: string, queue: string, at: number): Cell {
    const minute = periodStart('minute', at);
    let names = this.#minutes.get(minute);
    if (!names) this.#minutes.set(minute, (names = new Map()));
    let queues = names.get(name);
    if (!queues) names.set(name, (queues = new Map()));
    let cell = queues.get(queue);
    if (!cell) queues.set(queue, (cell = { succeeded: 0, failed: 0, retried: 0, wait: new Map(), run: new Map() }));
    return cell;
  }
}

function add(bins: Map<number, number>, bin: number, count: number): void {
  bins.set(bin, (bins.get(bin) ?? 0) + count);
}
