import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from 'spool';

import { fixture, tempDir } from './cli-harness.js';

const POSTGRES_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = promisify(execFile);

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('web');

interface WorkerSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  links: string[];
}

/** Enqueues in a request span here, runs the job in another process, and returns both sides' spans. */
async function enqueueHereRunThere(storage: string) {
  const spool = new Spool({ storage, telemetry: { tracerProvider: provider } });
  try {
    const request = await tracer.startActiveSpan('POST /render', async (span) => {
      const id = await spool.enqueue('otel.traced', {}, { queue: 'default', attempts: 1, timeout: '1m' });
      span.end();
      return { id, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
    });
    const { stdout } = await run(process.execPath, [fixture('otel-worker.js'), storage, request.id], { timeout: 30_000 });
    const send = exporter.getFinishedSpans().find((s) => s.name === 'send default' && s.attributes['messaging.message.id'] === request.id);
    return { request, send: send!, worker: JSON.parse(stdout) as WorkerSpan[] };
  } finally {
    await spool.close();
  }
}

function expectContinued({ request, send, worker }: Awaited<ReturnType<typeof enqueueHereRunThere>>): void {
  expect(send.parentSpanContext?.spanId).toBe(request.spanId);
  const processSpan = worker.find((s) => s.name === 'process default');
  expect(processSpan).toMatchObject({ traceId: request.traceId, parentSpanId: send.spanContext().spanId, links: [send.spanContext().spanId] });
  expect(worker.find((s) => s.name === 'render')).toMatchObject({ traceId: request.traceId, parentSpanId: processSpan!.spanId });
}

describe('a trace across processes', () => {
  const { dir, remove } = tempDir();
  afterAll(() => remove());

  it('continues in the worker process on SQLite', async () => {
    expectContinued(await enqueueHereRunThere(`sqlite:${join(dir, 'spool.db')}`));
  });

  it('continues in the worker process on PostgreSQL', async () => {
    const schema = `otel_${process.pid}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await admin.connect();
    } catch (error) {
      if (process.env.CI === 'true') throw error;
      console.warn(`\n!!! SKIPPING the cross-process trace test on PostgreSQL: no PostgreSQL at ${POSTGRES_URL}\n`);
      return;
    }
    try {
      expectContinued(await enqueueHereRunThere(`${POSTGRES_URL}?schema=${schema}`));
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
