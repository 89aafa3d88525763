import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/**
 * Returns jobs whose lease expired (their server died or stalled) to the queue, fails those rescued
 * too often as poison pills, and removes servers whose heartbeat stopped.
 */
export class Watchdog extends BackgroundProcess {
  private lastServerSweep = 0;

  constructor(
    context: ProcessContext,
    private readonly options: { intervalMs: number; maxRescues: number; serverTimeoutMs: number },
    private readonly onRescued: (result: { requeued: string[]; failed: string[] }) => void,
  ) {
    super('watchdog', context);
  }

  protected async tick(): Promise<number> {
    const result = await this.storage.leasesRescueExpired({ limit: 1000, maxRescues: this.options.maxRescues });
    if (result.requeued.length > 0 || result.failed.length > 0) this.onRescued(result);
    const now = this.runtime.clock.now();
    if (now - this.lastServerSweep >= this.options.serverTimeoutMs / 2) {
      this.lastServerSweep = now;
      await this.storage.serversRemoveDead({ timeoutMs: this.options.serverTimeoutMs });
    }
    return result.requeued.length + result.failed.length === 1000 ? 0 : this.options.intervalMs;
  }
}
