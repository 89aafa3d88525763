import type { Storage } from '../storage/contract.js';
import type { Clock } from '../util/clock.js';
import type { ProcessErrorReporter } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

const BATCH = 1000;

/**
 * Enqueues scheduled jobs (delays and retries) when they fall due. Sleeps until the next known due
 * time, at most one poll interval (another process may have scheduled something sooner).
 */
export class DelayedScheduler extends BackgroundProcess {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly pollMs: number,
    report: ProcessErrorReporter,
  ) {
    super('delayed-scheduler', report);
  }

  protected async tick(signal: AbortSignal): Promise<number> {
    let result = await this.storage.scheduledPromoteDue({ limit: BATCH });
    while (result.promoted === BATCH && !signal.aborted) {
      result = await this.storage.scheduledPromoteDue({ limit: BATCH });
    }
    if (result.nextDueAt === null) return this.pollMs;
    return Math.max(0, Math.min(this.pollMs, result.nextDueAt - this.clock.now()));
  }
}
