import type { JobState } from '../../states/states.js';
import type { StorageEvent } from '../contract.js';

/** Wake-up events gathered during one operation and emitted after it. */
export class MemoryEvents {
  readonly list: StorageEvent[] = [];
  private readonly queues = new Set<string>();
  private earliest: number | null = null;

  enqueued(queue: string): this {
    if (!this.queues.has(queue)) {
      this.queues.add(queue);
      this.list.push({ type: 'jobs-enqueued', queues: [queue] });
    }
    return this;
  }

  scheduled(at: number): this {
    if (this.earliest === null || at < this.earliest) {
      this.earliest = at;
      this.list.push({ type: 'jobs-scheduled', earliestRunAt: at });
    }
    return this;
  }

  state(id: string, state: JobState): this {
    this.list.push({ type: 'job-state', id, state });
    return this;
  }
}
