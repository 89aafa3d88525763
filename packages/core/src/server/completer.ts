import type { Completion, Storage } from '../storage/contract.js';
import { sleep } from '../util/sleep.js';
import type { LogBuffer } from './log-buffer.js';

interface Pending {
  completion: Completion;
  resolve: (ok: boolean) => void;
}

const MAX_BATCH = 500;

/**
 * Records job outcomes in batches: every completion that arrives while a write is in flight goes
 * into the next single `jobsComplete` call. A failed write is retried with backoff, so an outcome
 * is never dropped while the server runs.
 */
export class Completer {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failures = 0;

  constructor(
    private readonly storage: Storage,
    private readonly serverId: string,
    private readonly logs: LogBuffer,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queues an outcome; resolves with whether the lease still held (false: someone else changed the job). */
  submit(completion: Completion): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ completion, resolve });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Waits until every queued outcome is written. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    // Let the completions of jobs that finish in the same tick join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.logs.flush();
          const { results } = await this.storage.jobsComplete({ completions: batch.map((p) => p.completion), serverId: this.serverId });
          this.failures = 0;
          const ok = new Map(results.map((r) => [r.id, r.ok]));
          for (const pending of batch) pending.resolve(ok.get(pending.completion.id) ?? false);
        } catch (error) {
          this.onError(error);
          this.queue.unshift(...batch);
          this.failures++;
          await sleep(Math.min(10_000, 50 * 2 ** Math.min(this.failures, 8)));
        }
      }
    } finally {
      this.flushing = null;
    }
  }
}
