import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

const BATCH = 1000;

/**
 * Enqueues scheduled jobs (delays and retries) when they fall due. Sleeps until the next known due
 * time, at most one poll interval (another process may have scheduled something sooner).
 */
export class DelayedScheduler extends BackgroundProcess {
  constructor(
    context: ProcessContext,
    private readonly pollMs: number,
  ) {
    super('delayed-scheduler', context);
  }

  protected async tick(signal: AbortSignal): Promise<number> {
    let result = await this.storage.scheduledPromoteDue({ limit: BATCH });
    while (result.promoted === BATCH && !signal.aborted) {
      result = await this.storage.scheduledPromoteDue({ limit: BATCH });
    }
    if (result.nextDueAt === null) return this.pollMs;
    return Math.max(0, Math.min(this.pollMs, result.nextDueAt - this.runtime.clock.now()));
  }
}
