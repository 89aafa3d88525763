import type { JobState, StorageEvent } from '@spool/core';

/**
 * Wake-up events gathered during one transaction and emitted after it commits (never before: a
 * listener must not act on a write that may still roll back). One `jobs-enqueued` per queue, a
 * `jobs-scheduled` whenever the earliest due time moves earlier, and a `job-state` per transition.
 * They reach listeners in this process; other processes notice commits through the change watcher.
 */
export class EventBatch {
  readonly list: StorageEvent[] = [];
  private readonly queues = new Set<string>();
  private earliest: number | null = null;

  /** Jobs became runnable in `queue`. */
  enqueued(queue: string): void {
    if (this.queues.has(queue)) return;
    this.queues.add(queue);
    this.list.push({ type: 'jobs-enqueued', queues: [queue] });
  }

  /** A job was scheduled to run at `at`. */
  scheduled(at: number): void {
    if (this.earliest !== null && at >= this.earliest) return;
    this.earliest = at;
    this.list.push({ type: 'jobs-scheduled', earliestRunAt: at });
  }

  /** A job moved to `state`. */
  state(id: string, state: JobState): void {
    this.list.push({ type: 'job-state', id, state });
  }
}
