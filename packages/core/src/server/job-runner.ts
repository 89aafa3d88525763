import { JobTimeoutError, MalformedJobError, PayloadCorruptError, PayloadMissingError, ShutdownError, UnknownJobError, hasErrorCode, rateLimitedDelayOf, snoozeDelayOf, unrecoverable } from '../errors.js';
import { LIMIT_KEY_PARAMETER } from '../limits/limits.js';
import { decideLateStart, lateStartDeletion, lateStartFailure } from '../job/start-deadline.js';
import { pauseCandidatesOf, rateLimitedReason } from '../limits/rate-limited.js';
import { payloadReference } from '../files/payloads.js';
import { toJsonText } from '../job/json-args.js';
import { electFailure } from '../filters/state-election.js';
import { toErrorRecord } from '../job/error-record.js';
import type { FetchedJob, Json } from '../job/records.js';
import type { CompletionOutcome } from '../storage/contract.js';
import type { JobRunSpan } from '../telemetry/job-telemetry.js';
import { NO_RUN, NO_TELEMETRY } from '../telemetry/job-telemetry.js';
import { MAX_INLINE_RESULT_BYTES, createJobContext, resolveStored, toJsonResult } from './job-context-factory.js';
import type { LogBuffer } from './log-buffer.js';
import type { ServerHost } from './server-host.js';
import type { ThreadPool } from './thread-pool.js';

/** Why a running job was aborted by the server. */
export type AbortCause = 'shutdown' | 'cancelled' | 'lease-lost' | 'timeout';

/** How long a handler may take to settle after its signal aborts before the server moves on. */
export const ABORT_GRACE_MS = 1000;

/**
 * A job being run: why it was aborted, a promise that settles when it is, and the handler's
 * `AbortSignal`, made only when the handler asks for it (most short jobs never do, and an
 * AbortController with its listeners costs more than the rest of a no-op job's bookkeeping).
 */
export class RunningJob {
  cause: AbortCause | null = null;
  /** Settles when the job is aborted. */
  readonly aborted: Promise<void>;
  /** Whether the handler has returned or thrown (true before it starts). Until then the job keeps its slot. */
  handlerReturned = true;
  /** Settles when the handler has returned or thrown. */
  handlerDone: Promise<void> = Promise.resolve();
  private controller: AbortController | null = null;
  private reason: Error | null = null;
  private resolveAborted!: () => void;

  constructor(
    readonly job: FetchedJob,
    /** When the run started, on the runtime's clock. */
    readonly startedAt: number,
  ) {
    this.aborted = new Promise<void>((resolve) => (this.resolveAborted = resolve));
  }

  /** The handler's signal: aborted already if the job was aborted before it was asked for. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.reason !== null) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Follows the handler's promise, which may outlive the job's outcome (a handler that ignores its signal). */
  track(handler: Promise<unknown>): void {
    this.handlerReturned = false;
    const returned = (): void => {
      this.handlerReturned = true;
    };
    this.handlerDone = handler.then(returned, returned);
  }

  /** Aborts the handler's signal with an error that says why. */
  abort(cause: AbortCause, error: Error): void {
    if (this.cause !== null) return;
    this.cause = cause;
    this.reason = error;
    this.controller?.abort(error);
    this.resolveAborted();
  }
}

/**
 * Runs one fetched job and elects its outcome: succeeded with its result, scheduled for a retry,
 * failed, or back to the queue at shutdown. Returns null when the job is no longer this server's
 * (deleted, requeued or its lease lost): then nothing is recorded.
 */
export class JobRunner {
  /** The runtime's random draw, bound once: a retry's jitter asks for it. */
  private readonly draw: () => number;

  constructor(
    private readonly host: ServerHost,
    private readonly logs: LogBuffer,
    private readonly threads: () => ThreadPool,
  ) {
    this.draw = () => host.runtime.random();
  }

  async run(running: RunningJob): Promise<CompletionOutcome | null> {
    const span = (this.host.telemetry ?? NO_TELEMETRY).startRun(running.job);
    let outcome: CompletionOutcome | null;
    try {
      outcome = await this.execute(running, span);
    } catch (error) {
      span.end(null, error);
      throw error;
    }
    span.end(outcome);
    return outcome;
  }

  private async execute(running: RunningJob, span: JobRunSpan): Promise<CompletionOutcome | null> {
    const job = running.job;
    // Per job, nothing is allocated that only a failure needs (this runs for every job).
    const { clock } = this.host.runtime;
    const { draw } = this;
    if (job.decodeError !== undefined) {
      const error = new MalformedJobError(`The stored job cannot be decoded: ${job.decodeError}`);
      return { state: 'failed', error: toErrorRecord(error), reason: error.message };
    }
    // A job claimed past its start deadline is recorded as expired, never run late (one parameter
    // lookup for a job without one).
    const late = decideLateStart(job);
    if (late !== null) {
      if (late.onExpire === 'fail') return lateStartFailure(late);
      await this.host.storage.jobSetState(lateStartDeletion(job.id, late));
      // Deleted before its handler started: the server reports it as a cancelled run.
      running.abort('cancelled', late.error);
      return null;
    }
    const definition = this.host.definition(job.name);
    if (!definition) {
      const error = new UnknownJobError(`No handler for job "${job.name}" on this server; it is retried and runs once a server that knows it takes it.`);
      return electFailure(job, error, null, clock.now(), draw);
    }
    // By-reference arguments are read before the handler runs: it sees them as if inline.
    let args = job.args;
    if (payloadReference(args) !== null) {
      try {
        args = await resolveStored(this.host, job.id, 'args', args);
      } catch (error) {
        // A missing or changed file does not come back: fail at once. A store outage may pass: retry.
        const lost = error instanceof PayloadMissingError || error instanceof PayloadCorruptError;
        return electFailure(job, lost ? unrecoverable(error) : error, definition, clock.now(), draw);
      }
    }
    const ctx = createJobContext(this.host, job, running, this.logs);
    const timeoutMs = job.timeoutMs;
    const timer = timeoutMs === null ? null : this.host.runtime.setTimer(() => running.abort('timeout', new JobTimeoutError(timeoutMs)), timeoutMs);
    // The span is the active context during the call: spans the handler makes (inline) are its
    // children. A worker thread has a context of its own, which this does not reach.
    // Without tracing the span is the shared no-op one: the handler is called directly.
    const traced = span !== NO_RUN;
    const handler: Promise<unknown> =
      definition.options.execution === 'thread'
        ? traced
          ? span.call(() => this.threads().run(args === job.args ? job : { ...job, args }, definition, ctx))
          : this.threads().run(args === job.args ? job : { ...job, args }, definition, ctx)
        : new Promise((resolve) => resolve(traced ? span.call(() => definition.handler(args as never, ctx)) : definition.handler(args as never, ctx)));
    running.track(handler);
    const settled = handler.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    try {
      let outcome = await Promise.race([settled, running.aborted.then(() => null)]);
      if (outcome === null) {
        // Aborted: give the handler a moment to settle on its own (it may finish cleanly).
        outcome = await Promise.race([settled, this.host.runtime.sleep(ABORT_GRACE_MS).then(() => null)]);
        if (outcome === null || !outcome.ok) return this.abortedOutcome(running, definition);
      }
      if (outcome.ok) {
        if (running.cause === 'cancelled' || running.cause === 'lease-lost') return null;
        const payloads = this.host.payloads;
        if (payloads === undefined) {
          try {
            return { state: 'succeeded', result: toJsonResult(outcome.value), reason: `Succeeded on attempt ${job.attempt}` };
          } catch (error) {
            return electFailure(job, unrecoverable(error), definition, clock.now(), draw);
          }
        }
        let checked: { value: Json; text: string };
        try {
          checked = toJsonText(outcome.value, Math.max(MAX_INLINE_RESULT_BYTES, payloads.maxBytes), 'result');
        } catch (error) {
          return electFailure(job, unrecoverable(error), definition, clock.now(), draw);
        }
        try {
          // A large result goes to the file store; the job keeps the reference.
          const result = await payloads.store(job.id, 'result', checked.value, checked.text);
          return { state: 'succeeded', result, reason: `Succeeded on attempt ${job.attempt}` };
        } catch (error) {
          // Too large is for good; a store outage may pass, and the job is retried.
          return electFailure(job, hasErrorCode(error, 'ERR_ARGS_TOO_LARGE') ? unrecoverable(error) : error, definition, clock.now(), draw);
        }
      }
      if (running.cause !== null) return this.abortedOutcome(running, definition);
      const snoozeMs = snoozeDelayOf(outcome.error);
      if (snoozeMs !== null) {
        const runAt = new Date(clock.now() + snoozeMs);
        return { state: 'scheduled', runAt, reason: `Snoozed until ${runAt.toISOString()} (the attempt does not count)`, snoozed: true };
      }
      const rateLimitedMs = rateLimitedDelayOf(outcome.error);
      if (rateLimitedMs !== null) {
        const runAt = new Date(clock.now() + rateLimitedMs);
        const key = job.parameters[LIMIT_KEY_PARAMETER];
        const pauseGates = pauseCandidatesOf({ queue: job.queue, name: job.name, limitKey: typeof key === 'string' ? key : null });
        return { state: 'scheduled', runAt, reason: rateLimitedReason(runAt), snoozed: true, pauseGates };
      }
      return electFailure(job, outcome.error, definition, clock.now(), draw);
    } finally {
      timer?.clear();
    }
  }

  private abortedOutcome(running: RunningJob, definition: Parameters<typeof electFailure>[2]): CompletionOutcome | null {
    switch (running.cause) {
      case 'timeout':
        return electFailure(running.job, new JobTimeoutError(running.job.timeoutMs ?? 0), definition, this.host.runtime.clock.now(), () => this.host.runtime.random());
      case 'shutdown':
        return { state: 'enqueued', reason: new ShutdownError().message, refundAttempt: true };
      case 'cancelled':
      case 'lease-lost':
      case null:
        return null;
      default: {
        const never: never = running.cause;
        return never;
      }
    }
  }
}
