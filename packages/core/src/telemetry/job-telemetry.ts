import type { JobRecord, NewJob } from '../job/records.js';
import type { CompletionOutcome } from '../storage/contract.js';

/**
 * The seam through which the client and the server report traces: a producer span around the
 * write of new jobs, and a process span around each run. Spool's own types only, so nothing of
 * OpenTelemetry reaches the published types of an application that does not install it.
 */
export interface JobTelemetry {
  /**
   * Runs `write` (the storage call that creates `jobs`) inside a producer span. The jobs passed to
   * `write` carry the trace context in their parameters, so the run can continue the trace.
   */
  enqueue<T>(jobs: readonly NewJob[], write: (jobs: NewJob[]) => Promise<T>): Promise<T>;
  /** Starts the process span of one run of `job`. */
  startRun(job: JobRecord): JobRunSpan;
}

/** The process span of one job run. */
export interface JobRunSpan {
  /** Calls the handler with the span as the active context, so spans the handler makes are its children. */
  call<T>(handler: () => T): T;
  /** Ends the span with the elected outcome (null: the outcome was dropped), or the error the run threw. */
  end(outcome: CompletionOutcome | null, thrown?: unknown): void;
}

/** The process span that records nothing: a runner calls the handler directly when it gets this one. */
export const NO_RUN: JobRunSpan = {
  call: (handler) => handler(),
  end: () => {},
};

/** Telemetry that records nothing: without `@opentelemetry/api`, or with `telemetry: false`. */
export const NO_TELEMETRY: JobTelemetry = {
  enqueue: (jobs, write) => write([...jobs]),
  startRun: () => NO_RUN,
};
