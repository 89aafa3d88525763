import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/**
 * Renews the leases of every job the server holds (running or claimed ahead) in one storage call per
 * round. A job whose lease is gone (deleted, requeued, or rescued after this server stalled) is
 * reported to the server, which aborts or drops it.
 */
export class LeaseKeeper extends BackgroundProcess {
  constructor(
    context: ProcessContext,
    private readonly held: () => Array<{ id: string; leaseToken: string }>,
    private readonly onLost: (id: string) => void,
    private readonly leaseMs: number,
    private readonly intervalMs: number,
  ) {
    super('lease-keeper', context);
  }

  protected async tick(): Promise<number> {
    const leases = this.held();
    if (leases.length > 0) {
      const { lost } = await this.storage.jobLeaseExtend({ leases, leaseMs: this.leaseMs });
      for (const id of lost) this.onLost(id);
    }
    return this.intervalMs;
  }
}
