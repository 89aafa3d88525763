import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/** Pause between two expiration batches, so that removal never hogs the storage. */
const BETWEEN_BATCHES_MS = 50;

/** Removes finished jobs past their retention, in small batches with pauses between them. */
export class ExpirationManager extends BackgroundProcess {
  constructor(
    context: ProcessContext,
    private readonly intervalMs: number,
    private readonly batchSize: number,
  ) {
    super('expiration', context);
  }

  protected async tick(): Promise<number> {
    const { deleted } = await this.storage.jobsExpire({ limit: this.batchSize });
    return deleted === this.batchSize ? BETWEEN_BATCHES_MS : this.intervalMs;
  }
}
