import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A tracer provider that keeps its spans in memory, and the async context that spans follow. */
export function memoryTracing() {
  // Registered globally once: the API's context manager is process-wide, as in an application.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  return {
    provider,
    tracer,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    named: (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name),
    reset: () => exporter.reset(),
    /** Runs `fn` inside an active span named `name`, as a web request's instrumentation would. */
    inSpan: async <T>(name: string, fn: () => Promise<T>): Promise<{ value: T; spanId: string; traceId: string }> =>
      tracer.startActiveSpan(name, async (span) => {
        try {
          const value = await fn();
          return { value, spanId: span.spanContext().spanId, traceId: span.spanContext().traceId };
        } finally {
          span.end();
        }
      }),
    active: () => trace.getActiveSpan(),
  };
}

/** The parent span id of a finished span (SDK 2 names it `parentSpanContext`). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}
