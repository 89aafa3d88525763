import type { NewLogRecord, Storage } from '../storage/contract.js';
import type { Runtime, Timer } from '../util/runtime.js';

const FLUSH_AT = 200;
const FLUSH_AFTER_MS = 500;

/**
 * Gathers job log lines and writes them in batches: at most one storage call per half second, or
 * sooner when many lines wait. A job's lines are flushed before its completion is recorded.
 */
export class LogBuffer {
  private entries: NewLogRecord[] = [];
  private timer: Timer | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly runtime: Runtime,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queues a line. */
  add(entry: NewLogRecord): void {
    this.entries.push(entry);
    if (this.entries.length >= FLUSH_AT) void this.flush();
    else this.timer ??= this.runtime.setTimer(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes every queued line; resolves when they are stored (or the write failed and was reported). */
  flush(): Promise<void> {
    if (this.timer) {
      this.timer.clear();
      this.timer = null;
    }
    if (this.entries.length === 0) return this.writing;
    const batch = this.entries;
    this.entries = [];
    this.writing = this.writing.then(() => this.storage.jobLogsAppend({ entries: batch }).catch(this.onError));
    return this.writing;
  }
}
