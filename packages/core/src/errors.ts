/**
 * Typed errors with stable codes. Recognise them by `code` (also across processes and storages),
 * never by class name or message text.
 */

/** Every stable error code Spool can raise. */
export type SpoolErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_SNOOZED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_INVALID_CRON'
  | 'ERR_INVALID_ARGS'
  | 'ERR_ARGS_TOO_LARGE'
  | 'ERR_UNKNOWN_JOB'
  | 'ERR_JOB_NOT_FOUND'
  | 'ERR_JOB_NOT_WAITING'
  | 'ERR_JOB_EXPIRED'
  | 'ERR_STATE_CONFLICT'
  | 'ERR_RECURRING_NOT_FOUND'
  | 'ERR_UNSUPPORTED_STORAGE'
  | 'ERR_STORAGE_DRIVER_MISSING'
  | 'ERR_TELEMETRY_API_MISSING'
  | 'ERR_CAPABILITY_MISSING'
  | 'ERR_STORAGE'
  | 'ERR_STORAGE_CLOSED'
  | 'ERR_JOB_TIMEOUT'
  | 'ERR_JOB_CANCELLED'
  | 'ERR_LEASE_LOST'
  | 'ERR_LEASE_EXPIRED'
  | 'ERR_MALFORMED_JOB'
  | 'ERR_SHUTDOWN'
  | 'ERR_THREAD_CRASHED'
  | 'ERR_OUTCOME_UNSTORABLE'
  | 'ERR_OUTCOMES_UNRECORDED'
  | 'ERR_HANDLER_OVERDUE'
  | 'ERR_ENQUEUE_INCOMPLETE'
  | 'ERR_QUEUE_FULL'
  | 'ERR_SCHEMA_TOO_NEW'
  | 'ERR_STATUS_TOKEN_INVALID'
  | 'ERR_STATUS_TOKEN_EXPIRED'
  | 'ERR_STATUS_TOKEN_OTHER_JOB'
  | 'ERR_FILE_STORE'
  | 'ERR_FILE_STORE_DRIVER_MISSING'
  | 'ERR_FILE_STORE_MISSING'
  | 'ERR_PAYLOAD_MISSING'
  | 'ERR_PAYLOAD_CORRUPT'
  | 'ERR_FLOW_CYCLE'
  | 'ERR_FLOW_INVALID'
  | 'ERR_BATCH_NOT_FOUND'
  | 'ERR_BATCH_FINISHED'
  | 'ERR_DEPENDENCY_FAILED';

/** The base of every error Spool throws. */
export class SpoolError extends Error {
  /** A stable, machine-readable code. */
  readonly code: SpoolErrorCode;

  constructor(code: SpoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One problem found while resolving options: where it is and what is wrong. */
export interface ConfigProblem {
  /** Dotted path of the offending option, e.g. `server.concurrency`. */
  path: string;
  /** What was expected, what was received, and what to do. */
  message: string;
}

/** Invalid configuration: lists every problem found, not only the first. */
export class ConfigError extends SpoolError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
    super('ERR_CONFIG', `Invalid configuration:\n${lines.join('\n')}`);
    this.problems = problems;
  }
}

/** Job arguments that cannot be stored as JSON. */
export class InvalidArgsError extends SpoolError {
  /** Path inside the arguments where the problem is, e.g. `args.user.createdAt`. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('ERR_INVALID_ARGS', `Job arguments are not plain JSON at ${path}: ${message}`);
    this.path = path;
  }
}

/**
 * Job arguments (or, stored by reference, a result) larger than the configured limit: `maxArgsBytes`
 * inline, `payloads.maxBytes` by reference.
 */
export class ArgsTooLargeError extends SpoolError {
  constructor(
    readonly bytes: number,
    readonly limitBytes: number,
    /** `'payload'` when the limit is that of by-reference payloads (`payloads.maxBytes`). */
    readonly limit: 'inline' | 'payload' = 'inline',
  ) {
    super(
      'ERR_ARGS_TOO_LARGE',
      limit === 'inline'
        ? `Job arguments are ${bytes} bytes, over the limit of ${limitBytes} bytes. ` +
            'Give the Spool a file store (`files`) to store large arguments by reference, pass a reference to data stored elsewhere, or raise `maxArgsBytes`.'
        : `The payload is ${bytes} bytes, over the limit of ${limitBytes} bytes for values stored by reference. ` +
            'Store it elsewhere and pass a reference, or raise `payloads.maxBytes`.',
    );
  }
}

/** A job name, or a class, that this process does not know. */
export class UnknownJobError extends SpoolError {
  constructor(message: string) {
    super('ERR_UNKNOWN_JOB', message);
  }
}

/** No job with this id exists (it may have expired). */
export class JobNotFoundError extends SpoolError {
  constructor(readonly jobId: string) {
    super('ERR_JOB_NOT_FOUND', `No job with id ${jobId} exists; it may have expired or never been created.`);
  }
}

/**
 * A change of a waiting job refused: the job has started or finished (`fields` empty), or its state
 * does not allow the fields asked for (a due time for a job that is not scheduled).
 */
export class JobNotWaitingError extends SpoolError {
  constructor(
    readonly jobId: string,
    /** The state the job was found in. */
    readonly state: string,
    /** The fields its state does not allow; empty when it allows none (it has started or finished). */
    readonly fields: readonly string[],
    allowed: readonly string[],
  ) {
    super(
      'ERR_JOB_NOT_WAITING',
      fields.length === 0
        ? `Job ${jobId} is ${state}, so it can no longer be changed: only a scheduled, enqueued or awaiting job can. Enqueue a new job instead.`
        : `Job ${jobId} is ${state}, which allows changing ${allowed.join(', ')}, not ${fields.join(', ')}. ` +
            (fields.includes('runAt') ? 'Only a scheduled job has a due time to change.' : ''),
    );
  }
}

/** The steps of a flow depend on each other in a circle, so none of them could ever start. */
export class FlowCycleError extends SpoolError {
  constructor(
    /** The step names of the circle, the first repeated at the end: `['a', 'b', 'a']`. */
    readonly cycle: readonly string[],
  ) {
    super('ERR_FLOW_CYCLE', `The flow's steps depend on each other in a circle (${cycle.join(' -> ')}), so none of them could start. Remove one of these dependencies.`);
  }
}

/** A flow or a batch is not well formed: a step without a name, a name given twice, a dependency on an unknown step. Nothing was created. */
export class FlowInvalidError extends SpoolError {
  constructor(readonly problems: readonly string[]) {
    super('ERR_FLOW_INVALID', `The flow cannot be created, nothing was written: ${problems.join('; ')}.`);
  }
}

/** No batch with this id exists. */
export class BatchNotFoundError extends SpoolError {
  constructor(readonly batchId: string) {
    super('ERR_BATCH_NOT_FOUND', `No batch with id "${batchId}" exists (it may have expired).`);
  }
}

/** Jobs cannot be attached to a batch that has finished: its continuations have been settled already. */
export class BatchFinishedError extends SpoolError {
  constructor(readonly batchId: string) {
    super('ERR_BATCH_FINISHED', `Batch ${batchId} has finished and settled its continuations, so no job can be attached to it. Create a new batch instead.`);
  }
}

/** No recurring job with this id exists. */
export class RecurringNotFoundError extends SpoolError {
  constructor(readonly recurringId: string) {
    super('ERR_RECURRING_NOT_FOUND', `No recurring job with id "${recurringId}" exists.`);
  }
}

/** A state change whose expectation did not hold: the job was not in an expected state. */
export class StateConflictError extends SpoolError {
  constructor(message: string) {
    super('ERR_STATE_CONFLICT', message);
  }
}

/** A storage URL whose scheme no installed storage handles. */
export class UnsupportedStorageError extends SpoolError {
  constructor(url: string, supported: readonly string[]) {
    super(
      'ERR_UNSUPPORTED_STORAGE',
      `Unsupported storage URL "${url}". Supported schemes: ${supported.join(', ')}.`,
    );
  }
}

/** A storage URL names a storage whose package (or its database driver) is not installed. */
export class StorageDriverMissingError extends SpoolError {
  /** The npm package to install, e.g. `@spool/postgres`. */
  readonly packageName: string;

  constructor(scheme: string, packageName: string, options?: { cause?: unknown }) {
    super(
      'ERR_STORAGE_DRIVER_MISSING',
      `A ${scheme} storage URL needs the package "${packageName}", which is not installed. Install it: npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
  }
}

/** A tracer or meter provider was passed to Spool, but `@opentelemetry/api` is not installed beside it. */
export class TelemetryApiMissingError extends SpoolError {
  constructor(options?: { cause?: unknown }) {
    super(
      'ERR_TELEMETRY_API_MISSING',
      'Spool was given a tracer or meter provider, but "@opentelemetry/api" cannot be loaded from @spool/core. Install it: npm install @opentelemetry/api',
      options,
    );
  }
}

/** A storage lacks a capability the requested feature needs. */
export class CapabilityMissingError extends SpoolError {
  constructor(capability: string, storage: string, feature: string) {
    super(
      'ERR_CAPABILITY_MISSING',
      `${feature} needs the storage capability "${capability}", which ${storage} does not have.`,
    );
  }
}

/**
 * A failure inside a storage, translated by the storage package. `retryable` says whether the same
 * call may succeed later (connection lost, database busy) or will fail again.
 */
export class StorageError extends SpoolError {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super('ERR_STORAGE', message, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/**
 * A job's outcome that the storage refused for good (a value it cannot store): the job was failed
 * with this error instead, so that the rest of its batch could be recorded.
 */
export class OutcomeUnstorableError extends SpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OUTCOME_UNSTORABLE', message, options);
  }
}

/**
 * Outcomes a stopping server could not write before its deadline (storage unreachable). Their jobs
 * keep their leases until these expire; lease rescue then returns them to the queue.
 */
export class OutcomesUnrecordedError extends SpoolError {
  /** How many outcomes were given up. */
  readonly count: number;

  constructor(count: number) {
    super(
      'ERR_OUTCOMES_UNRECORDED',
      `The server stopped with ${count} job outcome(s) unwritten: the storage did not answer before the stop's deadline. Those jobs return to the queue when their leases expire, and run again.`,
    );
    this.count = count;
  }
}

/**
 * A handler still running after its job was given up (timed out or aborted, past the grace period):
 * its outcome is recorded and another server may run the job, but it keeps its slot on this server
 * until it returns.
 */
export class HandlerOverdueError extends SpoolError {
  constructor(jobId: string, cause: string) {
    super(
      'ERR_HANDLER_OVERDUE',
      `The handler of job ${jobId} is still running after it was aborted (${cause}); it keeps its slot until it returns. Make the handler honour ctx.signal, or run it with execution: 'thread' so that it can be stopped.`,
    );
  }
}

/**
 * A large `enqueueMany` that a storage commits in parts (Redis: 1,000 jobs a script, so that one call
 * never blocks the server for long) failed after some parts were committed. `created` lists the ids
 * committed, in call order; the rest were not. `cause` is the storage's error.
 */
export class EnqueueIncompleteError extends SpoolError {
  /** Ids of the jobs that were committed before the failure. */
  readonly created: readonly string[];
  /** Whether trying the rest again may succeed (the cause was retryable). */
  readonly retryable: boolean;

  constructor(created: readonly string[], total: number, cause: unknown) {
    const retryable = typeof cause === 'object' && cause !== null && (cause as { retryable?: unknown }).retryable === true;
    super(
      'ERR_ENQUEUE_INCOMPLETE',
      `Only ${created.length} of ${total} jobs were enqueued: the storage failed after committing them (${cause instanceof Error ? cause.message : String(cause)}). The created ids are on this error's \`created\`; enqueue the rest again.`,
      { cause },
    );
    this.created = created;
    this.retryable = retryable;
  }
}

/**
 * An enqueue refused because its queue is full: the queue's enqueued jobs and the jobs it would add
 * exceed the queue's bound (`maxSize`). Nothing of the enqueue was written: an `enqueueMany` is
 * created whole or not at all. With `onFull: 'wait'` this is thrown when the wait's deadline passes.
 */
export class QueueFullError extends SpoolError {
  constructor(
    /** The full queue. */
    readonly queue: string,
    /** How many jobs the queue held (enqueued) when the enqueue was refused. */
    readonly size: number,
    /** The queue's bound (`maxSize`). */
    readonly bound: number,
    /** How many jobs the enqueue would have added to the queue. */
    readonly adding: number,
    /** How long the enqueue waited for room before giving up (0: it did not wait). */
    readonly waitedMs = 0,
  ) {
    super(
      'ERR_QUEUE_FULL',
      `Queue "${queue}" is full: it holds ${size} of at most ${bound} enqueued jobs, so ${adding} more do not fit` +
        (waitedMs > 0 ? ` (waited ${waitedMs} ms for room)` : '') +
        '. Nothing was enqueued. Try again later, enqueue with { onFull: \'wait\' }, or raise the bound (spool.limits.set({ queue }, { maxSize })).',
    );
  }
}

/**
 * A storage's schema was made by a newer version of Spool than the one running: this code does not
 * know what the newer migrations changed, so it refuses to read or write rather than corrupt data.
 */
export class SchemaTooNewError extends SpoolError {
  constructor(where: string, found: number, known: number) {
    super(
      'ERR_SCHEMA_TOO_NEW',
      `${where} is at schema version ${found}, newer than this version of Spool knows (${known}). Upgrade the Spool packages of this process, or point it at another schema or file.`,
    );
  }
}

/** A call on a storage that was closed. */
export class StorageClosedError extends SpoolError {
  constructor(storage: string) {
    super('ERR_STORAGE_CLOSED', `The ${storage} storage is closed.`);
  }
}

/** A job ran longer than its `timeout`. */
export class JobTimeoutError extends SpoolError {
  constructor(readonly timeoutMs: number) {
    super('ERR_JOB_TIMEOUT', `The job ran longer than its timeout of ${timeoutMs} ms and was aborted.`);
  }
}

/** A running job that was deleted or requeued by someone else. */
export class JobCancelledError extends SpoolError {
  constructor(message = 'The job was deleted or requeued while it ran.') {
    super('ERR_JOB_CANCELLED', message);
  }
}

/** This server lost the job's lease (it expired and the job was rescued elsewhere). */
export class LeaseLostError extends SpoolError {
  constructor() {
    super('ERR_LEASE_LOST', 'This server lost the lease on the job; another server may run it.');
  }
}

/** A job whose lease expired too often: treated as a poison pill and failed. */
export class LeaseExpiredError extends SpoolError {
  constructor(message: string) {
    super('ERR_LEASE_EXPIRED', message);
  }
}

/** A stored job that cannot be decoded (malformed arguments or parameters in storage). */
export class MalformedJobError extends SpoolError {
  constructor(message: string) {
    super('ERR_MALFORMED_JOB', message);
  }
}

/** The server is shutting down and aborted the job; it goes back to the queue. */
export class ShutdownError extends SpoolError {
  constructor() {
    super('ERR_SHUTDOWN', 'The server is shutting down; the job goes back to the queue.');
  }
}

/** A worker thread running a job crashed or was terminated. */
export class ThreadCrashedError extends SpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_THREAD_CRASHED', message, options);
  }
}

/**
 * What `ctx.snooze(delay)` throws: the job runs again after `delayMs`, without consuming an
 * attempt and without recording an error. Recognised by its code, also across worker threads.
 */
export class JobSnoozedSignal extends SpoolError {
  constructor(readonly delayMs: number) {
    super('ERR_SNOOZED', `Snoozed for ${delayMs} ms`);
  }
}

/**
 * The delay of a snooze signal, or null when `error` is not one. Never throws, whatever a handler
 * threw (a revoked Proxy throws on `instanceof`).
 */
export function snoozeDelayOf(error: unknown): number | null {
  try {
    return error instanceof JobSnoozedSignal ? error.delayMs : null;
  } catch {
    return null;
  }
}

/**
 * What `rateLimited(delay)` throws: a remote said "too many requests". The job goes back to waiting
 * for `delayMs` without consuming an attempt or recording an error, and its key's gate (or its job
 * name's, else its queue's) is paused as long: no job of that gate starts on any server until then.
 * Recognised by its code, also across worker threads.
 */
export class JobRateLimitedSignal extends SpoolError {
  constructor(readonly delayMs: number) {
    super('ERR_RATE_LIMITED', `Rate limited for ${delayMs} ms`);
  }
}

/**
 * The delay of a rate-limited signal, or null when `error` is not one. Never throws, whatever a
 * handler threw.
 */
export function rateLimitedDelayOf(error: unknown): number | null {
  try {
    return error instanceof JobRateLimitedSignal ? error.delayMs : null;
  } catch {
    return null;
  }
}

/** Marks an error as not worth retrying: the job fails at once. */
export class UnrecoverableError extends Error {
  readonly unrecoverable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}

/**
 * Wraps an error so that the job fails at once without further retries.
 * `throw unrecoverable(new Error('card declined'))`.
 */
export function unrecoverable(error: unknown): Error {
  if (error instanceof Error) {
    Object.defineProperty(error, 'unrecoverable', { value: true, enumerable: false });
    return error;
  }
  let message: string;
  try {
    message = String(error);
  } catch {
    message = Object.prototype.toString.call(error);
  }
  return new UnrecoverableError(message);
}

/** Whether an error was marked with {@link unrecoverable}. */
export function isUnrecoverable(error: unknown): boolean {
  try {
    return typeof error === 'object' && error !== null && (error as { unrecoverable?: unknown }).unrecoverable === true;
  } catch {
    // A thrown Proxy or a throwing getter: not marked.
    return false;
  }
}

/**
 * A cron expression that Spool's dialect does not accept. `field` names the field at fault
 * (`second`, `minute`, `hour`, `dayOfMonth`, `month`, `dayOfWeek`, or `expression` for the whole).
 */
export class InvalidCronError extends SpoolError {
  constructor(
    readonly expression: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super('ERR_INVALID_CRON', `Invalid cron expression ${JSON.stringify(expression)}: ${field === 'expression' ? '' : `${field} field: `}${reason}.`);
  }
}

/**
 * A file store operation that failed. Implementations translate their driver's errors into it
 * inside their package; `retryable` says whether the same call may pass later (a lost connection,
 * a busy or restarting server) or will be refused again (access denied, no such bucket).
 */
export class FileStoreError extends SpoolError {
  constructor(
    message: string,
    /** Whether trying the same call again may succeed. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super('ERR_FILE_STORE', message, options);
  }
}

/** A file store URL whose package is not installed (`s3://` needs `@spool/s3`). */
export class FileStoreDriverMissingError extends SpoolError {
  /** The npm package to install, e.g. `@spool/s3`. */
  readonly packageName: string;

  constructor(scheme: string, packageName: string, options?: { cause?: unknown }) {
    super(
      'ERR_FILE_STORE_DRIVER_MISSING',
      `A ${scheme} file store URL needs the package "${packageName}", which is not installed. Install it: npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
  }
}

/**
 * A job whose arguments or result are stored by reference, read by a process that has no file
 * store: give that process's Spool the same `files` as the one that enqueued the job.
 */
export class FileStoreMissingError extends SpoolError {
  constructor(jobId: string, slot: 'args' | 'result') {
    super(
      'ERR_FILE_STORE_MISSING',
      `The ${slot === 'args' ? 'arguments' : 'result'} of job ${jobId} are stored by reference in a file store, and this Spool has none. ` +
        'Give it the same `files` option (or --files / SPOOL_FILES) as the process that stored them.',
    );
  }
}

/**
 * The file that holds a job's arguments or result by reference is not in the file store (deleted
 * by hand, a lifecycle rule, or another store configured). The job fails at once: no retry brings
 * the file back. Nothing else of the job is lost.
 */
export class PayloadMissingError extends SpoolError {
  constructor(
    readonly jobId: string,
    readonly slot: 'args' | 'result',
    readonly key: string,
  ) {
    super(
      'ERR_PAYLOAD_MISSING',
      `The ${slot === 'args' ? 'arguments' : 'result'} of job ${jobId} are stored by reference at "${key}", and that file is not in the file store. ` +
        'Check that every process uses the same file store, and that nothing else deletes files under its "payloads/" prefix; enqueue the job again with its arguments.',
    );
  }
}

/** A by-reference payload whose file does not match its reference (another size or digest): changed after it was written. */
export class PayloadCorruptError extends SpoolError {
  constructor(
    readonly jobId: string,
    readonly slot: 'args' | 'result',
    readonly key: string,
    detail: string,
  ) {
    super('ERR_PAYLOAD_CORRUPT', `The file "${key}" that holds the ${slot === 'args' ? 'arguments' : 'result'} of job ${jobId} has changed since it was written (${detail}); the job cannot trust it.`);
  }
}

/** Whether a value is a Spool error with the given code. */
export function hasErrorCode(error: unknown, code: SpoolErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * A job that was not started within its time-to-live after it became due: it was failed (or
 * deleted) when a server claimed it, without running its handler. Stored as the failed job's error.
 */
export class JobExpiredError extends SpoolError {
  constructor(
    readonly jobId: string,
    /** When the job became due (ms since epoch). */
    readonly dueAt: number,
    readonly ttlMs: number,
    /** When a server claimed it (the storage's time). */
    readonly claimedAt: number,
  ) {
    super(
      'ERR_JOB_EXPIRED',
      `Job ${jobId} was not started within its time-to-live of ${ttlMs} ms: due at ${new Date(dueAt).toISOString()}, ` +
        `claimed at ${new Date(claimedAt).toISOString()} (${claimedAt - dueAt - ttlMs} ms late), so it was not run. Enqueue it again if it is still wanted.`,
    );
  }
}
