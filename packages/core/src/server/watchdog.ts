import type { Storage } from '../storage/contract.js';
import type { ProcessErrorReporter } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/**
 * Returns jobs whose lease expired (their server died or stalled) to the queue, fails those rescued
 * too often as poison pills, and removes servers whose heartbeat stopped.
 */
export class Watchdog extends BackgroundProcess {
  private lastServerSweep = 0;

  constructor(
    private readonly storage: Storage,
    private readonly options: { intervalMs: number; maxRescues: number; serverTimeoutMs: number },
    private readonly onRescued: (result: { requeued: string[]; failed: string[] }) => void,
    report: ProcessErrorReporter,
  ) {
    super('watchdog', report);
  }

  protected async tick(): Promise<number> {
    const result = await this.storage.leasesRescueExpired({ limit: 1000, maxRescues: this.options.maxRescues });
    if (result.requeued.length > 0 || result.failed.length > 0) this.onRescued(result);
    if (Date.now() - this.lastServerSweep >= this.options.serverTimeoutMs / 2) {
      this.lastServerSweep = Date.now();
      await this.storage.serversRemoveDead({ timeoutMs: this.options.serverTimeoutMs });
    }
    return result.requeued.length + result.failed.length === 1000 ? 0 : this.options.intervalMs;
  }
}
