import { OutcomeUnstorableError, hasErrorCode } from '../errors.js';
import type { FetchedJob } from '../job/records.js';
import type { Completion, CompletionOutcome, Handover, Storage } from '../storage/contract.js';
import type { Runtime, Timer } from '../util/runtime.js';
import type { LogBuffer } from './log-buffer.js';

/** What became of a submitted outcome. */
export type CompletionAnswer =
  /** Written: the job is in the outcome's state. */
  | 'recorded'
  /** Refused: the lease no longer held, someone else changed the job. */
  | 'refused'
  /** Written as a failure instead, because the storage cannot hold the outcome itself. */
  | 'replaced'
  /** Not written: the completer was closed (a stop's deadline passed); lease rescue returns the job. */
  | 'unrecorded';

/** The answer to a submitted outcome, with the outcome that was written (the replacement, if one was). */
export interface CompletionReport {
  answer: CompletionAnswer;
  outcome: CompletionOutcome;
}

interface Pending {
  completion: Completion;
  /** Answers the submitter; only the first answer counts. */
  resolve: (answer: CompletionAnswer, written?: CompletionOutcome) => void;
  answered: boolean;
}

/**
 * What a server lends its completer for hand-overs (decision 53): `offer` is asked as each write is
 * sent (the room the server sets aside, or nothing), `taken` gets the jobs the write handed over
 * (none when it failed) and gives the rest of the room back.
 */
export interface HandoverHooks {
  offer(): Handover | undefined;
  taken(offer: Handover, jobs: FetchedJob[]): void;
}

/** Most outcomes in one storage call. Also the slack of the in-flight bound: see {@link Completer.backlog}. */
export const COMPLETION_BATCH = 500;

const MAX_BACKOFF_MS = 10_000;

/**
 * Records job outcomes in batches: every completion that arrives while a write is in flight goes
 * into the next single `jobsComplete` call. A write that may succeed later (connection lost, database
 * restarting) is retried with backoff, so an outcome is never dropped while the server runs. A write
 * the storage refuses for good (a value it cannot store) is split until the one completion it
 * concerns is found; that job is failed with the storage's reason and the rest are recorded.
 */
export class Completer {
  private queue: Pending[] = [];
  private inFlight: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failures = 0;
  private closed = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly storage: Storage,
    private readonly runtime: Runtime,
    private readonly serverId: string,
    private readonly logs: LogBuffer,
    private readonly onError: (error: unknown) => void,
    /**
     * Called after each batch is written, with what `markWrite` returned when its write was sent
     * and whether the write handed jobs over: claiming may go on if it waited for recording.
     */
    private readonly onWritten: (sent: number, handedOver: boolean) => void,
    /** Called as each batch's write is sent (the server passes the fetch loop's claim count). */
    private readonly markWrite: () => number = () => 0,
    private readonly handover: HandoverHooks | null = null,
  ) {}

  /** Queues an outcome; resolves with what became of it. */
  submit(completion: Completion): Promise<CompletionReport> {
    if (this.closed) return Promise.resolve({ answer: 'unrecorded', outcome: completion.outcome });
    return new Promise((resolve) => {
      const pending: Pending = {
        completion,
        answered: false,
        resolve: (answer, written = completion.outcome) => {
          pending.answered = true;
          resolve({ answer, outcome: written });
        },
      };
      this.queue.push(pending);
      this.flushing ??= this.flushLoop();
    });
  }

  /** Outcomes submitted and not yet written: queued or in the write under way. */
  get pendingCount(): number {
    return this.queue.length + this.inFlight.length;
  }

  /**
   * Outcomes waiting beyond one batch. The server counts them as held jobs, so that claiming waits
   * while recording falls behind: a server then holds at most its concurrency, its claim-ahead buffer
   * and one completion batch of jobs that storage shows as processing.
   */
  get backlog(): number {
    return Math.max(0, this.pendingCount - COMPLETION_BATCH);
  }

  /** The leases of jobs whose outcome awaits its write: they stay renewed until it is written. */
  *pendingLeases(): Generator<{ id: string; leaseToken: string }> {
    for (const pending of this.inFlight) yield { id: pending.completion.id, leaseToken: pending.completion.leaseToken };
    for (const pending of this.queue) yield { id: pending.completion.id, leaseToken: pending.completion.leaseToken };
  }

  /**
   * Waits until every queued outcome is written, or `deadlineMs` has passed. Then closes the
   * completer: what is still unwritten is given up (its jobs keep their leases until they expire,
   * and lease rescue returns them to the queue). Returns how many outcomes were given up.
   */
  async close(deadlineMs: number): Promise<number> {
    let timer: Timer | undefined;
    const deadline = new Promise<void>((resolve) => (timer = this.runtime.setTimer(resolve, deadlineMs)));
    await Promise.race([this.drain(), deadline]);
    timer?.clear();
    this.closed = true;
    this.closing.abort();
    // A write still under way may yet commit; its outcomes are not known to be written, so they are
    // answered as given up too (an answer that arrives later changes nothing).
    const unwritten = [...this.inFlight.filter((p) => !p.answered), ...this.queue.splice(0)];
    for (const pending of unwritten) pending.resolve('unrecorded');
    return unwritten.length;
  }

  /** Waits until every queued outcome is written (or given up by {@link close}). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    // Let the completions of jobs that finish in the same tick join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0 && !this.closed) {
        // Short of a full batch, let one turn of the event loop pass first: jobs started while the
        // last write ran finish in it and join this write. With a storage that writes synchronously
        // (SQLite) batches were otherwise about `concurrency` outcomes, one transaction each.
        if (this.queue.length < COMPLETION_BATCH) await new Promise((resolve) => setImmediate(resolve));
        this.inFlight = this.queue.splice(0, COMPLETION_BATCH);
        try {
          await this.logs.flush();
          const sent = this.markWrite();
          const offer = this.handover?.offer();
          let handed: FetchedJob[] = [];
          try {
            handed = await this.write(this.inFlight, offer);
          } finally {
            if (offer) this.handover!.taken(offer, handed);
          }
          this.failures = 0;
          this.inFlight = [];
          // A turn later: the claim that the storage's own event of this write started has begun by then.
          setImmediate(() => this.onWritten(sent, handed.length > 0));
        } catch (error) {
          // Only errors that may pass get here: retry what is unanswered after a pause.
          this.onError(error);
          const unanswered = this.inFlight.filter((p) => !p.answered);
          this.inFlight = [];
          if (this.closed || hasErrorCode(error, 'ERR_STORAGE_CLOSED')) {
            this.closed = true;
            for (const pending of unanswered) pending.resolve('unrecorded');
          } else {
            this.queue.unshift(...unanswered);
            this.failures++;
            await this.runtime.sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.failures, 8)), this.closing.signal);
          }
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Writes a batch and answers each of its completions. Throws only an error that may pass; a
   * permanent refusal is narrowed down by halves to the completions it concerns.
   */
  private async write(batch: Pending[], handover?: Handover): Promise<FetchedJob[]> {
    try {
      const completions = batch.map((p) => p.completion);
      const { results, handedOver = [] } = await this.storage.jobsComplete({ completions, serverId: this.serverId, ...(handover ? { handover } : {}) });
      const ok = new Map(results.map((r) => [r.id, r.ok]));
      for (const pending of batch) pending.resolve(ok.get(pending.completion.id) ? 'recorded' : 'refused');
      return handedOver;
    } catch (error) {
      if (!isPermanent(error)) throw error;
      // Narrowed down without hand-overs: each part frees its places as a plain write does.
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.write(batch.slice(0, half));
        await this.write(batch.slice(half));
        return [];
      }
      await this.replace(batch[0]!, error);
      return [];
    }
  }

  /** Records a failure that says why the storage refused the job's outcome. */
  private async replace(pending: Pending, refusal: unknown): Promise<void> {
    this.onError(refusal);
    const reason = `The storage refused this job's outcome (${pending.completion.outcome.state}): ${messageOf(refusal)}`;
    const error = new OutcomeUnstorableError(reason, { cause: refusal });
    const completion: Completion = {
      id: pending.completion.id,
      leaseToken: pending.completion.leaseToken,
      outcome: { state: 'failed', reason, error: { name: error.name, message: reason, code: error.code } },
    };
    try {
      const { results } = await this.storage.jobsComplete({ completions: [completion], serverId: this.serverId });
      pending.resolve(results[0]?.ok ? 'replaced' : 'refused', completion.outcome);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      // Not even the failure can be stored: leave the job to lease rescue, which counts it.
      this.onError(error);
      pending.resolve('unrecorded');
    }
  }
}

/** Whether a storage error will come back however often the same call is made. */
function isPermanent(error: unknown): boolean {
  return hasErrorCode(error, 'ERR_STORAGE') && (error as { retryable?: unknown }).retryable === false;
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
