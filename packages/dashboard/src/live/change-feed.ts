import type { JobState, StatsRecord, Storage, StorageEvent } from '@spool/core';

/** What changed in storage since the last {@link Change}. */
export interface Change {
  /** The counts as read now, and the storage's time of the read. */
  stats: StatsRecord;
  now: number;
  /** Whether the counts differ from the previous change's. */
  statsChanged: boolean;
  /** Jobs a notification said changed state since the previous change, with their new state. */
  jobs: ReadonlyMap<string, JobState>;
}

/** Options of {@link ChangeFeed}. */
export interface ChangeFeedOptions {
  /**
   * Fewest milliseconds between two changes: notifications that arrive closer together are
   * gathered into one, so a burst of 1,000 jobs a second costs a few reads, not 1,000.
   */
  minGapMs: number;
  /**
   * How often the counts are read when no notification came: the fallback for writes the storage
   * does not announce here (another process's on SQLite, a notification lost while reconnecting).
   */
  fallbackMs: number;
  /** Where errors of a read go (the feed goes on; the next read may succeed). */
  onError: (error: unknown) => void;
}

/**
 * Turns one storage's change notifications into a stream of {@link Change}s for the open pages: it
 * subscribes while at least one listener is there, gathers notifications for `minGapMs`, reads
 * the counts once per change for all listeners, and reads them every `fallbackMs` as well, since
 * not every write is announced in every process (see `StorageCapabilities.notifications`).
 */
export class ChangeFeed {
  private readonly listeners = new Set<(change: Change) => void>();
  private unsubscribe: (() => void) | null = null;
  private pendingJobs = new Map<string, JobState>();
  private timer: NodeJS.Timeout | null = null;
  private fallback: NodeJS.Timeout | null = null;
  private lastReadAt = 0;
  private reading = false;
  private again = false;
  private lastStats: string | null = null;
  /** The latest change, for a listener that joins between two. */
  latest: Change | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly options: ChangeFeedOptions,
  ) {}

  /** Calls `listener` with every change from now on; returns the function that stops it. */
  listen(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    if (this.unsubscribe === null) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Reads the counts now (no sooner than `minGapMs` after the last read) and tells every listener. */
  poke(): void {
    if (this.timer !== null || this.unsubscribe === null) return;
    const wait = Math.max(0, this.lastReadAt + this.options.minGapMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.read();
    }, wait);
    this.timer.unref();
  }

  private start(): void {
    this.unsubscribe = this.storage.subscribe((event) => this.receive(event));
    this.fallback = setInterval(() => this.poke(), this.options.fallbackMs);
    this.fallback.unref();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.fallback !== null) clearInterval(this.fallback);
    this.timer = this.fallback = null;
    this.pendingJobs = new Map();
    this.lastStats = null;
    this.latest = null;
  }

  private receive(event: StorageEvent): void {
    if (event.type === 'job-state') this.pendingJobs.set(event.id, event.state);
    this.poke();
  }

  private async read(): Promise<void> {
    // One read at a time: a change that arrives during a read is read right after it.
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    this.lastReadAt = Date.now();
    const jobs = this.pendingJobs;
    this.pendingJobs = new Map();
    try {
      const [stats, now] = await Promise.all([this.storage.monitoring.stats(), this.storage.now()]);
      const key = JSON.stringify(stats);
      const statsChanged = key !== this.lastStats;
      this.lastStats = key;
      if (this.unsubscribe === null || (!statsChanged && jobs.size === 0)) return;
      const change: Change = { stats, now, statsChanged, jobs };
      this.latest = change;
      for (const listener of this.listeners) listener(change);
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.reading = false;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    }
  }
}
