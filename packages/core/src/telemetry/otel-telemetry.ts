import type { Context, Span, SpanContext, Tracer } from '@opentelemetry/api';

import type { ErrorRecord, JobRecord, NewJob } from '../job/records.js';
import type { CompletionOutcome } from '../storage/contract.js';
import type { JobRunSpan, JobTelemetry } from './job-telemetry.js';
import { NO_TELEMETRY } from './job-telemetry.js';
import type { OtelApi } from './otel-api.js';
import { formatTraceContext, parseTraceContext, TRACE_CONTEXT_PARAMETER } from './trace-context.js';

/** The value of `messaging.system` (the conventions allow a system's own name). */
export const MESSAGING_SYSTEM = 'spool';

/** What a run ended as, in the `spool.job.outcome` attribute. */
export type RunOutcome = 'succeeded' | 'retry-scheduled' | 'snoozed' | 'failed' | 'requeued' | 'abandoned' | 'error';

/**
 * Traces through `@opentelemetry/api`, following the messaging semantic conventions: a producer
 * span `send <queue>` around the write of new jobs (with a `create <queue>` span per job when
 * several are written at once), and a consumer span `process <queue>` around each run, a child
 * of the context the job was created in and linked to it.
 */
export class OtelJobTelemetry implements JobTelemetry {
  /** The class of the provider that records nothing, as the API's proxy falls back to it. */
  private readonly noopProvider: unknown;

  constructor(
    private readonly api: OtelApi,
    private readonly tracer: Tracer,
    /** The provider the tracer came from; until an SDK registers one behind it, nothing is traced. */
    private readonly provider: object,
  ) {
    this.noopProvider = new api.ProxyTracerProvider().getDelegate().constructor;
  }

  /**
   * Whether spans would be recorded: false while the provider is the API's no-op (the package is
   * installed, often as some library's dependency, but no SDK is registered). Checked on every
   * call, since an SDK may register after Spool starts; two property reads, where building spans
   * and their attributes for every job would cost more than the job itself.
   */
  private tracing(): boolean {
    const { provider } = this;
    const delegate = provider instanceof this.api.ProxyTracerProvider ? provider.getDelegate() : provider;
    return delegate.constructor !== this.noopProvider;
  }

  async enqueue<T>(jobs: readonly NewJob[], write: (jobs: NewJob[]) => Promise<T>): Promise<T> {
    if (!this.tracing()) return NO_TELEMETRY.enqueue(jobs, write);
    const { api } = this;
    const queue = commonQueue(jobs);
    const batch = jobs.length > 1;
    const attributes: Record<string, string | number> = {
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
    };
    if (queue !== null) attributes['messaging.destination.name'] = queue;
    if (batch) attributes['messaging.batch.message_count'] = jobs.length;
    else if (jobs[0]) {
      attributes['messaging.message.id'] = jobs[0].id;
      attributes['spool.job.name'] = jobs[0].name;
    }
    const send = this.tracer.startSpan(queue === null ? 'send' : `send ${queue}`, { kind: api.SpanKind.PRODUCER, attributes });
    const sendContext = api.trace.setSpan(api.context.active(), send);
    // One job: the send span is its creation context. Several: each gets a `create` span of its
    // own, so every run can point at the one message it came from.
    const traced = jobs.map((job) => {
      if (!batch) return withTraceContext(job, send.spanContext());
      const create = this.tracer.startSpan(
        `create ${job.queue}`,
        {
          kind: api.SpanKind.PRODUCER,
          attributes: messageAttributes('create', job),
        },
        sendContext,
      );
      create.end();
      return withTraceContext(job, create.spanContext());
    });
    try {
      return await api.context.with(sendContext, () => write(traced));
    } catch (error) {
      recordError(api, send, error);
      throw error;
    } finally {
      send.end();
    }
  }

  startRun(job: JobRecord): JobRunSpan {
    if (!this.tracing()) return NO_TELEMETRY.startRun(job);
    const { api } = this;
    const creation = creationContext(api, job);
    // Child of the creation context (the trace continues across processes), and a link to it, as
    // the conventions ask of process spans; without one, the run joins whatever context is active.
    const parent = creation === null ? api.context.active() : api.trace.setSpanContext(api.context.active(), creation);
    const span = this.tracer.startSpan(
      `process ${job.queue}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: { ...messageAttributes('process', job), 'spool.job.attempt': job.attempt },
        links: creation === null ? [] : [{ context: creation }],
      },
      parent,
    );
    const active: Context = api.trace.setSpan(parent, span);
    return {
      call: (handler) => api.context.with(active, handler),
      end: (outcome, thrown) => endRun(api, span, outcome, thrown),
    };
  }
}

function endRun(api: OtelApi, span: Span, outcome: CompletionOutcome | null, thrown: unknown): void {
  if (thrown !== undefined) {
    span.setAttribute('spool.job.outcome', 'error' satisfies RunOutcome);
    recordError(api, span, thrown);
  } else if (outcome === null) {
    span.setAttribute('spool.job.outcome', 'abandoned' satisfies RunOutcome);
  } else {
    switch (outcome.state) {
      case 'succeeded':
        span.setAttribute('spool.job.outcome', 'succeeded' satisfies RunOutcome);
        break;
      case 'scheduled':
        if (outcome.snoozed) {
          span.setAttribute('spool.job.outcome', 'snoozed' satisfies RunOutcome);
          break;
        }
        span.setAttribute('spool.job.outcome', 'retry-scheduled' satisfies RunOutcome);
        recordErrorRecord(api, span, outcome.error);
        break;
      case 'failed':
        span.setAttribute('spool.job.outcome', 'failed' satisfies RunOutcome);
        recordErrorRecord(api, span, outcome.error);
        break;
      case 'enqueued':
        span.setAttribute('spool.job.outcome', 'requeued' satisfies RunOutcome);
        break;
      default: {
        const never: never = outcome;
        return never;
      }
    }
  }
  span.end();
}

function recordErrorRecord(api: OtelApi, span: Span, error: ErrorRecord): void {
  span.recordException(error.stack === undefined ? { name: error.name, message: error.message } : { name: error.name, message: error.message, stack: error.stack });
  span.setAttribute('error.type', error.code ?? error.name);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
}

function recordError(api: OtelApi, span: Span, error: unknown): void {
  const asError = error instanceof Error ? error : new Error(String(error));
  const code = (asError as { code?: unknown }).code;
  span.recordException(asError);
  span.setAttribute('error.type', typeof code === 'string' ? code : asError.name);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: asError.message });
}

/** The attributes of a span about one job, per the messaging conventions. */
function messageAttributes(operation: 'create' | 'process', job: Pick<JobRecord, 'id' | 'name' | 'queue'>): Record<string, string> {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': job.queue,
    'messaging.message.id': job.id,
    'spool.job.name': job.name,
  };
}

function withTraceContext(job: NewJob, span: SpanContext): NewJob {
  // An unsampled, invalid span (no provider registered) has nothing to continue.
  if (!isValid(span)) return job;
  const value = formatTraceContext({ traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, traceState: span.traceState?.serialize() });
  return { ...job, parameters: { ...job.parameters, [TRACE_CONTEXT_PARAMETER]: value } };
}

function creationContext(api: OtelApi, job: JobRecord): SpanContext | null {
  const identity = parseTraceContext(job.parameters[TRACE_CONTEXT_PARAMETER]);
  if (identity === null) return null;
  const context: SpanContext = { traceId: identity.traceId, spanId: identity.spanId, traceFlags: identity.traceFlags, isRemote: true };
  if (identity.traceState !== undefined) context.traceState = api.createTraceState(identity.traceState);
  return context;
}

function isValid(span: SpanContext): boolean {
  return !/^0+$/.test(span.traceId) && !/^0+$/.test(span.spanId);
}

function commonQueue(jobs: readonly NewJob[]): string | null {
  const first = jobs[0]?.queue;
  if (first === undefined) return null;
  return jobs.every((job) => job.queue === first) ? first : null;
}
