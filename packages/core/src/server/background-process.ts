import type { Storage } from '../storage/contract.js';
import type { Runtime } from '../util/runtime.js';
import { Waker } from '../util/waker.js';

/** Reports an error of a background process without stopping it. */
export type ProcessErrorReporter = (process: string, error: unknown) => void;

/** What every background process of a server shares: the storage, the runtime and the error report. */
export interface ProcessContext {
  readonly storage: Storage;
  readonly runtime: Runtime;
  readonly report: ProcessErrorReporter;
}

const MAX_ERROR_BACKOFF_MS = 30_000;

/**
 * One of a server's background loops, with a shared lifecycle: start, stop, a sleep that a stop or
 * a wake-up ends early, and exponential backoff after errors (a storage outage pauses the loop; it
 * does not kill it).
 */
export abstract class BackgroundProcess {
  private readonly stopping = new AbortController();
  private readonly waker: Waker;
  private loop: Promise<void> | null = null;

  protected readonly storage: Storage;
  protected readonly runtime: Runtime;
  private readonly reportError: ProcessErrorReporter;

  constructor(
    readonly name: string,
    context: ProcessContext,
  ) {
    this.storage = context.storage;
    this.runtime = context.runtime;
    this.reportError = context.report;
    this.waker = new Waker((fn, ms) => context.runtime.setTimer(fn, ms));
  }

  /**
   * Runs one round of work. Returns how long to sleep before the next round, in milliseconds.
   * @param signal aborted when the process stops
   */
  protected abstract tick(signal: AbortSignal): Promise<number>;

  /** Starts the loop. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the current sleep now. */
  wake(): void {
    this.waker.wake();
  }

  /** Stops the loop and waits for the current round to end. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.waker.wake();
    await this.loop;
  }

  /** Whether `stop()` was called. */
  protected get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    let failures = 0;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let waitMs: number;
      try {
        waitMs = await this.tick(signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        this.reportError(this.name, error);
        waitMs = Math.min(MAX_ERROR_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10));
      }
      if (waitMs > 0 && !signal.aborted) await this.waker.wait(waitMs, signal);
    }
  }
}
