import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';

import { defineJob, MemoryStorage, Spool, TRACE_CONTEXT_PARAMETER, unrecoverable } from '@spool/core';

import { fastServer, waitForState } from './helpers.js';
import { memoryTracing, parentOf } from './otel-setup.js';

const tracing = memoryTracing();

const traced = defineJob(
  'telemetry.traced',
  async (args: { fail?: 'retry' | 'final' }) => {
    // A span the handler makes: it must be a child of the run's span.
    tracing.tracer.startSpan('inner work').end();
    if (args.fail === 'final') throw unrecoverable(new Error('the printer is on fire'));
    if (args.fail === 'retry') throw new Error('the printer is busy');
    return { ok: true };
  },
  { queue: 'reports', attempts: 2, backoff: { type: 'fixed', delay: 60_000 } },
);

describe('OpenTelemetry traces', () => {
  let spool: Spool | undefined;
  afterEach(async () => {
    await spool?.close();
    spool = undefined;
    tracing.reset();
  });

  function start(telemetry: ConstructorParameters<typeof Spool>[0]['telemetry'] = { tracerProvider: tracing.provider }) {
    spool = new Spool({ storage: new MemoryStorage(), jobs: [traced], telemetry });
    return spool;
  }

  it('does no span work while the global provider is the no-op, and traces once an SDK registers', async () => {
    // The API installed without an SDK (as a dependency of some library): nothing to record, and
    // nothing is built per job. A provider registered after Spool starts is used from then on.
    trace.disable();
    try {
      // No telemetry option: the global provider, as an application that registers an SDK uses.
      spool = new Spool({ storage: new MemoryStorage(), jobs: [traced] });
      const client = spool;
      const before = await client.enqueue(traced, {});
      expect((await client.storage.jobGet({ id: before }))!.parameters[TRACE_CONTEXT_PARAMETER]).toBeUndefined();
      trace.setGlobalTracerProvider(tracing.provider);
      const after = await tracing.inSpan('POST /reports', () => client.enqueue(traced, {}));
      expect((await client.storage.jobGet({ id: after.value }))!.parameters[TRACE_CONTEXT_PARAMETER]).toBeDefined();
      await client.startServer({ ...fastServer, queues: ['reports'] });
      await waitForState(client, after.value, 'succeeded');
      await waitForState(client, before, 'succeeded');
      // Both runs happen with the SDK registered: each is a process span.
      expect(tracing.named('process reports')).toHaveLength(2);
      expect(tracing.named('send reports')).toHaveLength(1);
    } finally {
      trace.disable();
    }
  });

  it('runs a job as a child of the send span of the request that enqueued it, linked to it', async () => {
    const client = start();
    const request = await tracing.inSpan('POST /reports', () => client.enqueue(traced, {}));
    const id = request.value;
    await client.startServer({ ...fastServer, queues: ['reports'] });
    await waitForState(client, id, 'succeeded');

    const [send] = tracing.named('send reports');
    expect(send).toBeDefined();
    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(send!)).toBe(request.spanId);
    expect(send!.attributes).toMatchObject({
      'messaging.system': 'spool',
      'messaging.destination.name': 'reports',
      'messaging.message.id': id,
      'messaging.operation.type': 'send',
      'spool.job.name': 'telemetry.traced',
    });

    const [run] = tracing.named('process reports');
    expect(run!.kind).toBe(SpanKind.CONSUMER);
    expect(run!.spanContext().traceId).toBe(request.traceId);
    expect(parentOf(run!)).toBe(send!.spanContext().spanId);
    expect(run!.links.map((l) => l.context.spanId)).toEqual([send!.spanContext().spanId]);
    expect(run!.attributes).toMatchObject({
      'messaging.system': 'spool',
      'messaging.destination.name': 'reports',
      'messaging.message.id': id,
      'messaging.operation.type': 'process',
      'spool.job.name': 'telemetry.traced',
      'spool.job.attempt': 1,
      'spool.job.outcome': 'succeeded',
    });
    expect(run!.status.code).toBe(SpanStatusCode.UNSET);

    const [inner] = tracing.named('inner work');
    expect(parentOf(inner!)).toBe(run!.spanContext().spanId);
    // The context travels in a parameter that every storage keeps.
    const parameter = (await client.getParameter(id, TRACE_CONTEXT_PARAMETER)) as { traceparent: string };
    expect(parameter.traceparent).toBe(`00-${request.traceId}-${send!.spanContext().spanId}-01`);
  });

  it('gives each job of a batch a create span of its own, the parent of its run', async () => {
    const client = start();
    const { value: ids } = await tracing.inSpan('import', () => client.enqueueMany(traced, [{}, {}]));
    await client.startServer({ ...fastServer, queues: ['reports'] });
    for (const id of ids) await waitForState(client, id, 'succeeded');

    const [send] = tracing.named('send reports');
    expect(send!.attributes['messaging.batch.message_count']).toBe(2);
    const creates = tracing.named('create reports');
    expect(creates.map((s) => s.attributes['messaging.message.id']).sort()).toEqual([...ids].sort());
    for (const create of creates) expect(parentOf(create)).toBe(send!.spanContext().spanId);
    const runs = tracing.named('process reports');
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const create = creates.find((c) => c.attributes['messaging.message.id'] === run.attributes['messaging.message.id']);
      expect(parentOf(run)).toBe(create!.spanContext().spanId);
    }
  });

  it('records the error of a failing handler and sets the span status, on a retry and on the final failure', async () => {
    const client = start();
    const retried = await client.enqueue(traced, { fail: 'retry' });
    const failed = await client.enqueue(traced, { fail: 'final' });
    await client.startServer({ ...fastServer, queues: ['reports'] });
    await waitForState(client, retried, 'scheduled');
    await waitForState(client, failed, 'failed');

    const runs = tracing.named('process reports');
    const runOf = (id: string) => runs.find((s) => s.attributes['messaging.message.id'] === id)!;
    expect(runOf(retried).attributes['spool.job.outcome']).toBe('retry-scheduled');
    expect(runOf(retried).status).toEqual({ code: SpanStatusCode.ERROR, message: 'the printer is busy' });
    const final = runOf(failed);
    expect(final.attributes).toMatchObject({ 'spool.job.outcome': 'failed', 'error.type': 'Error' });
    expect(final.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the printer is on fire' });
    const exception = final.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toBe('the printer is on fire');
  });

  it('marks the send span as failed when the storage refuses the write', async () => {
    const client = start();
    await client.init();
    await client.storage.close();
    await expect(client.enqueue(traced, {})).rejects.toThrow();
    const [send] = tracing.named('send reports');
    expect(send!.status.code).toBe(SpanStatusCode.ERROR);
    spool = undefined;
  });

  it('records nothing and stores no trace context with telemetry: false', async () => {
    const client = start(false);
    const { value: id } = await tracing.inSpan('POST /reports', () => client.enqueue(traced, {}));
    await client.startServer({ ...fastServer, queues: ['reports'] });
    await waitForState(client, id, 'succeeded');
    expect(tracing.spans().filter((s) => s.name !== 'POST /reports' && s.name !== 'inner work')).toEqual([]);
    expect(await client.getParameter(id, TRACE_CONTEXT_PARAMETER)).toBeUndefined();
  });
});
