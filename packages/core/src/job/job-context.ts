import type { Duration } from '../options/duration.js';
import type { ContinuationOn, JobState } from '../states/states.js';
import type { Json, LogLevel } from './records.js';

/** Persisted logging for a running job: lines are stored with the job and shown by the dashboard. */
export interface JobLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a handler can do to enqueue further work (a subset of the client, bound to this job). */
export interface JobEnqueuer {
  /**
   * Enqueues a job by name with JSON arguments; returns its id. A job this program has no definition
   * of needs `queue`, `attempts` and `timeout` (null for no limit).
   */
  enqueue(
    name: string,
    args?: unknown,
    options?: { queue?: string; priority?: number; delay?: number | string; attempts?: number; timeout?: number | string | null },
  ): Promise<string>;
}

/** The parent of a continuation, as its child sees it. */
export interface ParentJob {
  id: string;
  state: JobState;
  result: Json;
  on: ContinuationOn;
}

/** A parent step of a flow step, as its child sees it. */
export interface StepParent {
  id: string;
  state: JobState;
  result: Json;
}

/** The execution context handed to every handler. */
export interface JobContext {
  /** The job's id (UUIDv7). Use it as an idempotency key towards other systems. */
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  /** 1 on the first run, 2 on the first retry, ... */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * Aborted when the job is deleted or requeued while running, on timeout, at server shutdown, and
   * when the server loses the job's lease. Pass it to fetch, streams and timers.
   */
  readonly signal: AbortSignal;
  /** Persisted log lines. */
  readonly log: JobLogger;
  /** Reports progress, 0 to 100 (stored, throttled; the last value always lands). */
  progress(percent: number): Promise<void>;
  /** Reads a job parameter (stored key/value data). */
  getParameter<T extends Json = Json>(key: string): Promise<T | undefined>;
  /** Stores a job parameter. */
  setParameter(key: string, value: Json): Promise<void>;
  /** The parent job of a continuation, with its result; null for other jobs. */
  parent(): Promise<ParentJob | null>;
  /** The parents of a flow step by step name, each with its state and result; empty for other jobs. */
  parents(): Promise<Record<string, StepParent>>;
  /** Enqueues further jobs. */
  readonly jobs: JobEnqueuer;
  /**
   * Defers the job: it runs again after `delay` (`'10m'`, or milliseconds), and this attempt does
   * not count. Throws, so nothing after it runs: `return ctx.snooze('10m')`.
   */
  snooze(delay: Duration): never;
}

/** Levels accepted by the logger, in order. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
