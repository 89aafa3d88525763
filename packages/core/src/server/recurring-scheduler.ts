import type { RecurringRecord } from '../job/records.js';
import type { RecurringFireResult } from '../storage/contract.js';
import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/**
 * Fires due recurring jobs. Any number of servers may run it: the storage fires each occurrence
 * once, for whichever server's compare-and-set lands first.
 */
export class RecurringScheduler extends BackgroundProcess {
  constructor(
    private readonly context: ProcessContext,
    private readonly fire: (record: RecurringRecord, now: Date) => Promise<RecurringFireResult>,
    private readonly pollMs: number,
  ) {
    super('recurring-scheduler', context);
  }

  protected async tick(signal: AbortSignal): Promise<number> {
    // One storage call per tick: the due records come with the storage's time, by which each is judged.
    const { now, records: due } = await this.storage.recurringDue({ limit: 100 });
    for (const record of due) {
      if (signal.aborted) break;
      try {
        await this.fire(record, now);
      } catch (error) {
        // One broken record (say, a cron expression edited by hand) must not stop the others.
        this.context.report(`${this.name} (${record.id})`, error);
      }
    }
    return due.length === 100 ? 0 : this.pollMs;
  }
}
