import type { StorageEvent } from '@spool/core';

import type { SqliteConnection } from './sqlite-connection.js';

const RUNNABLE_QUEUES_SQL = `SELECT substr(key, 7) AS name FROM spool_counters
WHERE key > 'queue:' AND key < 'queue;' AND value > 0 AND substr(key, 7) NOT IN (SELECT name FROM spool_paused_queues)
ORDER BY key`;

/** How often the watcher looks for commits of other processes. */
const WATCH_INTERVAL_MS = 200;

/**
 * Notices commits made by other connections to the same file (other processes, or other storages in
 * this one) and turns them into wake-up events, so servers do not wait for their next poll. It reads
 * `PRAGMA data_version`, which moves only when another connection commits: a cheap check, run on an
 * unref'd timer so it never keeps the process alive. Polling stays the correctness path.
 */
export class ChangeWatcher {
  private timer: NodeJS.Timeout | null = null;
  private version = 0;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly emit: (events: StorageEvent[]) => void,
  ) {}

  /** Starts watching (idempotent). */
  start(): void {
    if (this.timer !== null || this.conn.isClosed) return;
    this.version = this.conn.dataVersion();
    this.timer = setInterval(() => this.check(), WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops watching (idempotent). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    try {
      if (this.conn.isClosed) return this.stop();
      const version = this.conn.dataVersion();
      if (version === this.version) return;
      this.version = version;
      this.emit(this.describeChanges());
    } catch {
      // A locked or closing database: the next tick (or the servers' polling) catches up.
    }
  }

  /** What another process may have changed: queues that hold runnable jobs, and the earliest due time. */
  private describeChanges(): StorageEvent[] {
    const events: StorageEvent[] = [];
    const queues = this.conn.pluck(RUNNABLE_QUEUES_SQL).all() as string[];
    if (queues.length > 0) events.push({ type: 'jobs-enqueued', queues });
    const earliest = this.conn.pluck("SELECT min(run_at) FROM spool_jobs INDEXED BY spool_jobs_scheduled WHERE state = 'scheduled'").get() as number | null;
    if (earliest !== null) events.push({ type: 'jobs-scheduled', earliestRunAt: earliest });
    return events;
  }
}
