import { TelemetryApiMissingError } from '../errors.js';
import type { ClientEvents } from '../client/client-events.js';
import type { ServerEvents } from '../server/server-events.js';
import type { TypedEmitter } from '../util/typed-emitter.js';
import type { JobTelemetry } from './job-telemetry.js';
import { NO_TELEMETRY } from './job-telemetry.js';
import type { ModuleLoader } from './module-loader.js';
import { loadOtelApi } from './otel-api.js';
import { OtelJobMetrics } from './otel-metrics.js';
import { OtelJobTelemetry } from './otel-telemetry.js';

/** The instrumentation scope under which Spool's spans and metrics are recorded. */
export const INSTRUMENTATION_SCOPE = '@spool/core';

/** An OpenTelemetry tracer provider (the SDK's `BasicTracerProvider`, `NodeTracerProvider`, ...). */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown;
}

/** An OpenTelemetry meter provider (the SDK's `MeterProvider`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

/** Where Spool sends traces and metrics; each defaults to the provider registered with `@opentelemetry/api`. */
export interface TelemetryOptions {
  /** The tracer provider of Spool's spans. Default: the global one. */
  tracerProvider?: TracerProviderLike;
  /** The meter provider of Spool's metrics. Default: the global one. */
  meterProvider?: MeterProviderLike;
}

/** What a Spool instance reports through: its traces, and its metrics hooked to typed events. */
export interface Telemetry {
  readonly jobs: JobTelemetry;
  /** Counts what a client writes; returns a function that stops it. */
  observeClient(events: TypedEmitter<Pick<ClientEvents, 'jobs:enqueued'>>): () => void;
  /** Counts what a server runs; returns a function that stops it. */
  observeServer(events: TypedEmitter<ServerEvents>): () => void;
}

const NONE: Telemetry = { jobs: NO_TELEMETRY, observeClient: () => () => {}, observeServer: () => () => {} };

/**
 * The telemetry of `telemetry` (an option of Spool): none with `false` or without
 * `@opentelemetry/api` installed, else traces and metrics through the API. Explicit providers
 * without the API are a mistake worth an error, not a silent lack of traces.
 */
export function resolveTelemetry(option: false | TelemetryOptions | undefined, now: () => number, load?: ModuleLoader): Telemetry {
  if (option === false) return NONE;
  const api = loadOtelApi(load);
  if (api === null) {
    if (option?.tracerProvider !== undefined || option?.meterProvider !== undefined) throw new TelemetryApiMissingError();
    return NONE;
  }
  const tracerProvider = (option?.tracerProvider ?? api.trace.getTracerProvider()) as ReturnType<typeof api.trace.getTracerProvider>;
  const meterProvider = (option?.meterProvider ?? api.metrics.getMeterProvider()) as ReturnType<typeof api.metrics.getMeterProvider>;
  const jobs = new OtelJobTelemetry(api, tracerProvider.getTracer(INSTRUMENTATION_SCOPE), tracerProvider);
  const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE);
  // The global meter provider is no proxy: a meter taken before an SDK registers records nothing, ever.
  // Then the events are not listened to at all, so that the server builds no payloads for them.
  if (meter.constructor === api.createNoopMeter().constructor) return { jobs, observeClient: NONE.observeClient, observeServer: NONE.observeServer };
  const metrics = new OtelJobMetrics(meter, now);
  return {
    jobs,
    observeClient: (events) => metrics.observeClient(events),
    observeServer: (events) => metrics.observeServer(events),
  };
}
