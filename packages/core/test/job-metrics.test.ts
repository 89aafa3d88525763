import type { MetricsCount } from '@spool/core';
import { defineJob, histogramQuantile, MetricsRecorder, summarizeMetrics, timeBin, unrecoverable } from '@spool/core';
import { describe, expect, it } from 'vitest';

import { drivenServer, drivenSpool } from './driven-server.js';

/** A histogram of the given times in milliseconds. */
function histogramOf(times: readonly number[]): Map<number, number> {
  const h = new Map<number, number>();
  for (const t of times) h.set(timeBin(t), (h.get(timeBin(t)) ?? 0) + 1);
  return h;
}

/** The true nearest-rank quantile of a list. */
function exactQuantile(times: readonly number[], q: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

const HOUR = 3_600_000;
const T0 = Date.UTC(2030, 0, 1, 12);

describe('job metrics percentiles', () => {
  it('puts times into quarter-octave bins that start at whole powers of two', () => {
    expect([0, 0.99, 1, 1.18, 1.19, 2, 1024, 1e12].map(timeBin)).toEqual([0, 0, 1, 1, 2, 5, 41, 120]);
  });

  it('estimates p50, p95 and p99 within 10 % of the true values', () => {
    // A spread of times from 3 ms to 40 s, drawn by a fixed rule (no randomness in tests).
    const times = Array.from({ length: 1000 }, (_, i) => 3 * 1.0095 ** i);
    for (const q of [0.5, 0.95, 0.99]) {
      const estimate = histogramQuantile(histogramOf(times), q)!;
      expect(Math.abs(estimate / exactQuantile(times, q) - 1)).toBeLessThan(0.1);
    }
  });

  it('counts each observation in its minute and in its hour, and gives back what could not be stored', () => {
    const recorder = new MetricsRecorder();
    recorder.outcome('mail.send', 'default', 'succeeded', T0 + 5_000, 10);
    recorder.outcome('mail.send', 'default', 'succeeded', T0 + 65_000, 10);
    recorder.started('mail.send', 'default', T0 + 65_000, 0);
    const taken = recorder.take();
    const keyed = (counts: readonly MetricsCount[]) => counts.map((c) => `${c.period} ${c.at.getTime() - T0} ${c.series} ${c.bin} ${c.count}`).sort();
    expect(keyed(taken)).toEqual(
      keyed([
        { period: 'minute', at: new Date(T0), name: 'mail.send', queue: 'default', series: 'succeeded', bin: 0, count: 1 },
        { period: 'minute', at: new Date(T0), name: 'mail.send', queue: 'default', series: 'run', bin: timeBin(10), count: 1 },
        { period: 'minute', at: new Date(T0 + 60_000), name: 'mail.send', queue: 'default', series: 'succeeded', bin: 0, count: 1 },
        { period: 'minute', at: new Date(T0 + 60_000), name: 'mail.send', queue: 'default', series: 'run', bin: timeBin(10), count: 1 },
        { period: 'minute', at: new Date(T0 + 60_000), name: 'mail.send', queue: 'default', series: 'wait', bin: 0, count: 1 },
        { period: 'hour', at: new Date(T0), name: 'mail.send', queue: 'default', series: 'succeeded', bin: 0, count: 2 },
        { period: 'hour', at: new Date(T0), name: 'mail.send', queue: 'default', series: 'run', bin: timeBin(10), count: 2 },
        { period: 'hour', at: new Date(T0), name: 'mail.send', queue: 'default', series: 'wait', bin: 0, count: 1 },
      ]),
    );
    expect(recorder.empty).toBe(true);
    recorder.restore(taken);
    recorder.outcome('mail.send', 'default', 'failed', T0 + 5_000, 10);
    const again = recorder.take();
    expect(again.find((c) => c.period === 'hour' && c.series === 'succeeded')?.count).toBe(2);
    expect(again.find((c) => c.period === 'hour' && c.series === 'run')?.count).toBe(3);
    expect(again.find((c) => c.period === 'hour' && c.series === 'failed')?.count).toBe(1);
  });

  it('has no percentile for an empty histogram', () => {
    expect(histogramQuantile(new Map(), 0.5)).toBeNull();
  });

  it('computes the percentiles of two servers from their histograms added up', () => {
    const fast = Array.from({ length: 90 }, () => 10);
    const slow = Array.from({ length: 10 }, () => 5000);
    const a = new MetricsRecorder();
    const b = new MetricsRecorder();
    for (const t of fast) a.outcome('mail.send', 'default', 'succeeded', T0, t);
    for (const t of slow) b.outcome('mail.send', 'default', 'failed', T0 + 60_000, t);
    const counts: MetricsCount[] = [...a.take(), ...b.take()].filter((c) => c.period === 'hour');
    const report = summarizeMetrics(counts, { window: 'day', period: 'hour', from: T0 - 23 * HOUR, to: T0 + HOUR });
    expect(report.rows).toHaveLength(1);
    const row = report.rows[0]!;
    expect(row).toMatchObject({ name: 'mail.send', queue: 'default', succeeded: 90, failed: 10, retried: 0, failureRate: 0.1 });
    expect(row.succeededPerMinute).toBeCloseTo(90 / 1440);
    expect(Math.abs(row.run.p50! / 10 - 1)).toBeLessThan(0.1);
    expect(Math.abs(row.run.p95! / 5000 - 1)).toBeLessThan(0.1);
    expect(report.points).toHaveLength(24);
    expect(report.points.at(-1)).toEqual({ at: new Date(T0), succeeded: 90, failed: 10 });
  });
});

describe('job metrics gathered by servers', () => {
  it('adds what a server ran to storage: outcomes, wait and run times per job name and queue', async () => {
    let runtimeRef: { sleep: (ms: number) => Promise<void> } | null = null;
    const slow = defineJob('reports.build', async () => runtimeRef!.sleep(400), { queue: 'default' });
    const broken = defineJob('mail.send', () => {
      throw unrecoverable(new Error('mailbox gone'));
    });
    const { spool, runtime } = drivenSpool([slow, broken]);
    runtimeRef = { sleep: (ms) => runtime.sleep(ms) };
    await spool.enqueue(slow, null);
    await spool.enqueue(broken, null);
    await runtime.advance(3000);
    const server = await spool.startServer({ ...drivenServer, pollInterval: 100, metricsFlushInterval: '5s' });
    await runtime.advance(2000);
    expect((await spool.jobMetrics('hour')).rows).toEqual([]);
    await runtime.advance(5000);
    const report = await spool.jobMetrics('hour');
    expect(report.rows.map((r) => [r.name, r.queue, r.succeeded, r.failed, r.failureRate])).toEqual([
      ['mail.send', 'default', 0, 1, 1],
      ['reports.build', 'default', 1, 0, 0],
    ]);
    const build = report.rows[1]!;
    // Enqueued 3 s before the server started.
    expect(Math.abs(build.wait.p50! / 3000 - 1)).toBeLessThan(0.1);
    expect(Math.abs(build.run.p99! / 400 - 1)).toBeLessThan(0.1);
    expect((await spool.jobMetrics('day')).rows.map((r) => r.succeeded + r.failed)).toEqual([1, 1]);
    await server.stop();
    await spool.close();
  });

  it('adds the outcomes of the last interval when the server stops', async () => {
    const ok = defineJob('reports.build', () => 1);
    const { spool, runtime } = drivenSpool([ok]);
    const server = await spool.startServer({ ...drivenServer, metricsFlushInterval: '1m' });
    await spool.enqueue(ok, null);
    await runtime.advance(100);
    await server.stop();
    expect((await spool.jobMetrics()).rows.map((r) => r.succeeded)).toEqual([1]);
    await spool.close();
  });

  it('refuses a window it does not know, saying which ones it does', async () => {
    const { spool } = drivenSpool([]);
    await expect(spool.jobMetrics('week' as 'hour')).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringContaining("'hour' or 'day'") });
    await spool.close();
  });
});
