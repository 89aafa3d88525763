import type { FetchedJob } from '../job/records.js';
import type { Storage } from '../storage/contract.js';
import type { ProcessErrorReporter } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/** What the fetch loop needs from its server. */
export interface FetchLoopHost {
  readonly serverId: string;
  readonly queues: readonly string[];
  readonly names: readonly string[];
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  /** Jobs running now. */
  runningCount(): number;
  /** Starts running a fetched job (does not wait for it). */
  startJob(job: FetchedJob): void;
}

/** Idle wait when all slots are busy: a freed slot wakes the loop long before. */
const FULL_WAIT_MS = 60_000;

/**
 * Fetches as many jobs as there are free slots in one storage call and starts them. Wakes when a
 * slot frees or the storage says jobs were enqueued; polls as the correctness path.
 */
export class FetchLoop extends BackgroundProcess {
  constructor(
    private readonly storage: Storage,
    private readonly host: FetchLoopHost,
    report: ProcessErrorReporter,
  ) {
    super('fetch', report);
  }

  protected async tick(): Promise<number> {
    const free = this.host.concurrency - this.host.runningCount();
    if (free <= 0) return FULL_WAIT_MS;
    if (this.host.names.length === 0) return this.host.pollMs;
    const jobs = await this.storage.jobsFetch({
      queues: this.host.queues,
      names: this.host.names,
      limit: free,
      serverId: this.host.serverId,
      leaseMs: this.host.leaseMs,
    });
    for (const job of jobs) this.host.startJob(job);
    // A full batch suggests more are waiting: fetch again at once.
    return jobs.length === free ? 0 : this.host.pollMs;
  }
}
