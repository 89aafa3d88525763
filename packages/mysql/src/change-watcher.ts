import type { StorageEvent } from '@spool/core';

import type { Executor } from './executor.js';
import type { Tables } from './tables.js';

/**
 * Notices jobs that other processes made runnable or scheduled, and turns them into wake-up events,
 * so servers do not wait for their next poll. MySQL has no LISTEN/NOTIFY: every `intervalMs`, while
 * someone listens, it reads the maintained per-queue counters (one small index range, the cost is
 * the same at 0 and 1,000,000 jobs) and the earliest due time, and reports a queue that jobs entered
 * since the last check and a due time earlier than the last one seen. It compares `entered:<queue>`,
 * a count that only grows: the count of waiting jobs can be the same at two checks although a job
 * was claimed and another enqueued in between. It also compares `woken:<queue>`, which grows when
 * jobs waiting in a queue may start (a flow-control gate given back, limits changed). It runs on an unref'd timer, so
 * it never keeps the process alive; polling stays the correctness path.
 */
export class ChangeWatcher {
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private readonly counts = new Map<string, number>();
  private earliest: number | null = null;
  private primed = false;
  private firstCheck: Promise<void> = Promise.resolve();

  constructor(
    private readonly read: <T>(work: (db: Executor) => Promise<T>) => Promise<T>,
    private readonly t: Tables,
    private readonly intervalMs: number,
    private readonly emit: (events: StorageEvent[]) => void,
  ) {}

  /** Starts watching (idempotent): the first check, at once, takes note of what is there. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
    this.firstCheck = this.check();
  }

  /** Resolves once the first check since {@link start} has taken note of what is there. */
  noted(): Promise<void> {
    return this.firstCheck;
  }

  /** Stops watching (idempotent). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.primed = false;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const events = await this.read((db) => this.changes(db));
      if (events.length > 0 && this.timer !== null) this.emit(events);
    } catch {
      // The database is unreachable or the storage closing: the next tick (or the servers' polling) catches up.
    } finally {
      this.checking = false;
    }
  }

  /** What changed since the last check (nothing on the first check, which only takes note). */
  private async changes(db: Executor): Promise<StorageEvent[]> {
    const rows = await db.rows(
      `SELECT \`key\`, SUM(value) AS n FROM ${this.t.counters} WHERE \`key\` LIKE 'entered:%' OR \`key\` LIKE 'woken:%' GROUP BY \`key\``,
    );
    const [due] = await db.rows(`SELECT MIN(run_at) AS at FROM ${this.t.jobs} WHERE state = 'scheduled'`);
    const grown = new Set<string>();
    for (const row of rows) {
      const key = row.key as string;
      const count = Number(row.n);
      if (count > (this.counts.get(key) ?? 0)) grown.add(key.slice(key.indexOf(':') + 1));
      this.counts.set(key, count);
    }
    const earliest = due?.at === null || due?.at === undefined ? null : Number(due.at);
    const sooner = earliest !== null && (this.earliest === null || earliest < this.earliest);
    this.earliest = earliest;
    if (!this.primed) {
      this.primed = true;
      return [];
    }
    const events: StorageEvent[] = [];
    if (grown.size > 0) events.push({ type: 'jobs-enqueued', queues: [...grown] });
    if (sooner) events.push({ type: 'jobs-scheduled', earliestRunAt: earliest });
    return events;
  }
}
