import { LeaseLostError } from '../errors.js';
import type { Storage } from '../storage/contract.js';
import type { ProcessErrorReporter } from './background-process.js';
import { BackgroundProcess } from './background-process.js';
import type { RunningJob } from './job-runner.js';

/**
 * Renews the leases of every running job in one storage call per round. A job whose lease is gone
 * (deleted, requeued, or rescued after this server stalled) has its signal aborted.
 */
export class LeaseKeeper extends BackgroundProcess {
  constructor(
    private readonly storage: Storage,
    private readonly running: ReadonlyMap<string, RunningJob>,
    private readonly leaseMs: number,
    private readonly intervalMs: number,
    report: ProcessErrorReporter,
  ) {
    super('lease-keeper', report);
  }

  protected async tick(): Promise<number> {
    const leases = [...this.running.values()].filter((r) => r.cause === null).map((r) => ({ id: r.job.id, leaseToken: r.job.leaseToken }));
    if (leases.length > 0) {
      const { lost } = await this.storage.jobLeaseExtend({ leases, leaseMs: this.leaseMs });
      for (const id of lost) this.running.get(id)?.abort('lease-lost', new LeaseLostError());
    }
    return this.intervalMs;
  }
}
