import { describe, expect, it } from 'vitest';

import type { MetricsCount, MetricsPeriod, MetricsSeries } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { START, useHarness } from './harness.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const T0 = Math.floor(START / HOUR) * HOUR;

/** A count of the given key. */
function count(at: number, series: MetricsSeries, bin: number, n: number, more: Partial<MetricsCount> = {}): MetricsCount {
  return { period: 'minute', at: new Date(at), name: 'mail.send', queue: 'default', series, bin, count: n, ...more };
}

/** Counts as comparable strings, sorted: the contract fixes no order of a read. */
function keyed(counts: readonly MetricsCount[]): string[] {
  return counts.map((c) => `${c.period} ${c.at.toISOString()} ${c.name} ${c.queue} ${c.series} ${c.bin} = ${c.count}`).sort();
}

/** Tests of `metricsRecord`, `metricsRead` and `metricsExpire`. */
export function metricsTests(target: ConformanceTarget): void {
  describe('job metrics', () => {
    const h = useHarness(target);

    const read = (period: MetricsPeriod, from: number, to: number) => h.storage.metricsRead({ period, from: new Date(from), to: new Date(to) });

    it('reads back the counts it recorded', async () => {
      await h.storage.metricsRecord({ counts: [count(T0, 'succeeded', 0, 3), count(T0, 'run', 17, 2), count(T0, 'wait', 0, 1)] });
      expect(keyed(await read('minute', T0, T0 + MINUTE))).toEqual(keyed([count(T0, 'succeeded', 0, 3), count(T0, 'run', 17, 2), count(T0, 'wait', 0, 1)]));
    });

    it('adds the counts of two writers of the same key, and of one key given twice', async () => {
      const other = await h.connect();
      await h.storage.metricsRecord({ counts: [count(T0, 'succeeded', 0, 3), count(T0, 'run', 17, 2)] });
      await other.metricsRecord({ counts: [count(T0, 'succeeded', 0, 4), count(T0, 'run', 17, 1), count(T0, 'run', 18, 5)] });
      await other.metricsRecord({ counts: [count(T0, 'failed', 0, 1), count(T0, 'failed', 0, 2)] });
      expect(keyed(await read('minute', T0, T0 + MINUTE))).toEqual(
        keyed([count(T0, 'succeeded', 0, 7), count(T0, 'run', 17, 3), count(T0, 'run', 18, 5), count(T0, 'failed', 0, 3)]),
      );
    });

    it('keeps every part of the key apart: period, start, name, queue, series and bin', async () => {
      const counts = [
        count(T0, 'run', 1, 1),
        count(T0, 'run', 2, 2),
        count(T0, 'wait', 1, 3),
        count(T0, 'run', 1, 4, { queue: 'critical' }),
        count(T0, 'run', 1, 5, { name: 'reports.build' }),
        count(T0 + MINUTE, 'run', 1, 6),
        count(T0, 'run', 1, 7, { period: 'hour' }),
      ];
      await h.storage.metricsRecord({ counts });
      expect(keyed([...(await read('minute', T0, T0 + HOUR)), ...(await read('hour', T0, T0 + HOUR))])).toEqual(keyed(counts));
    });

    it('reads the periods that start in [from, to) of one width only', async () => {
      await h.storage.metricsRecord({
        counts: [count(T0 - MINUTE, 'succeeded', 0, 1), count(T0, 'succeeded', 0, 2), count(T0 + 2 * MINUTE, 'succeeded', 0, 3), count(T0 + 3 * MINUTE, 'succeeded', 0, 4), count(T0, 'succeeded', 0, 5, { period: 'hour' })],
      });
      expect(keyed(await read('minute', T0, T0 + 3 * MINUTE))).toEqual(keyed([count(T0, 'succeeded', 0, 2), count(T0 + 2 * MINUTE, 'succeeded', 0, 3)]));
      expect(keyed(await read('hour', T0 - HOUR, T0 + HOUR))).toEqual(keyed([count(T0, 'succeeded', 0, 5, { period: 'hour' })]));
      expect(await read('minute', T0 + HOUR, T0 + 2 * HOUR)).toEqual([]);
    });

    it('keeps any name and queue a job may have', async () => {
      const name = 'Ünïcode "quoted" \\ back\nline <b>&amp;</b> 😀';
      await h.storage.metricsRecord({ counts: [count(T0, 'succeeded', 0, 1, { name, queue: 'q:1 "x"' })] });
      expect(keyed(await read('minute', T0, T0 + MINUTE))).toEqual(keyed([count(T0, 'succeeded', 0, 1, { name, queue: 'q:1 "x"' })]));
    });

    it('removes the counts of periods that start before the given time, of that width only', async () => {
      await h.storage.metricsRecord({
        counts: [count(T0, 'succeeded', 0, 1), count(T0, 'run', 3, 1), count(T0 + MINUTE, 'succeeded', 0, 2), count(T0, 'succeeded', 0, 3, { period: 'hour' })],
      });
      expect(await h.storage.metricsExpire({ period: 'minute', before: new Date(T0 + MINUTE) })).toEqual({ deleted: 2 });
      expect(keyed(await read('minute', T0 - HOUR, T0 + HOUR))).toEqual(keyed([count(T0 + MINUTE, 'succeeded', 0, 2)]));
      expect(keyed(await read('hour', T0 - HOUR, T0 + HOUR))).toEqual(keyed([count(T0, 'succeeded', 0, 3, { period: 'hour' })]));
      expect(await h.storage.metricsExpire({ period: 'minute', before: new Date(T0 + MINUTE) })).toEqual({ deleted: 0 });
    });

    it('records nothing for an empty list', async () => {
      await h.storage.metricsRecord({ counts: [] });
      expect(await read('minute', 0, T0 + HOUR)).toEqual([]);
    });
  });
}
