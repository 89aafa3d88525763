import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';

import { defineJob, MemoryStorage, Spool, unrecoverable } from '@spool/core';

import { fastServer, waitForState } from './helpers.js';

const work = defineJob(
  'metrics.work',
  async (args: { fail: boolean }) => {
    if (args.fail) throw unrecoverable(new Error('no'));
    return null;
  },
  { queue: 'default' },
);

describe('OpenTelemetry metrics', () => {
  let spool: Spool | undefined;
  let provider: MeterProvider | undefined;
  afterEach(async () => {
    await spool?.close();
    await provider?.shutdown();
  });

  function meter() {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // Exported on demand (forceFlush) only: the interval is never reached in a test.
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    provider = new MeterProvider({ readers: [reader] });
    const read = async (name: string): Promise<Array<DataPoint<unknown>>> => {
      await reader.forceFlush();
      const all = exporter.getMetrics().at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
      return all.find((m) => m.descriptor.name === name)?.dataPoints ?? [];
    };
    return { provider, read };
  }

  it('counts enqueued, succeeded and failed jobs per job name, and records run times', async () => {
    const { provider: meterProvider, read } = meter();
    spool = new Spool({ storage: new MemoryStorage(), jobs: [work], telemetry: { meterProvider } });
    const ok = await spool.enqueue(work, { fail: false });
    const bad = await spool.enqueue(work, { fail: true });
    await spool.startServer(fastServer);
    await waitForState(spool, ok, 'succeeded');
    await waitForState(spool, bad, 'failed');

    const labels = { 'spool.job.name': 'metrics.work', 'messaging.destination.name': 'default' };
    expect(await read('spool.jobs.enqueued')).toMatchObject([{ attributes: labels, value: 2 }]);
    expect(await read('spool.jobs.succeeded')).toMatchObject([{ attributes: labels, value: 1 }]);
    expect(await read('spool.jobs.failed')).toMatchObject([{ attributes: labels, value: 1 }]);
    const runs = await read('spool.job.run.duration');
    expect(runs.map((p) => [p.attributes['spool.job.outcome'], (p.value as Histogram).count]).sort()).toEqual([
      ['failed', 1],
      ['succeeded', 1],
    ]);
  });

  it('records to the global meter provider by default, and nothing with telemetry: false', async () => {
    const { provider: meterProvider, read } = meter();
    metrics.setGlobalMeterProvider(meterProvider);
    try {
      const off = new Spool({ storage: new MemoryStorage(), jobs: [work], telemetry: false });
      await off.enqueue(work, { fail: false });
      await off.close();
      expect(await read('spool.jobs.enqueued')).toEqual([]);
      spool = new Spool({ storage: new MemoryStorage(), jobs: [work] });
      await spool.enqueue(work, { fail: false });
      expect(await read('spool.jobs.enqueued')).toMatchObject([{ value: 1 }]);
    } finally {
      metrics.disable();
    }
  });
});
