import type { ServerRecord } from '../job/records.js';
import type { Storage } from '../storage/contract.js';
import type { ProcessErrorReporter } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/** Announces the server to the storage (queues, concurrency, job names, running count). */
export class Heartbeat extends BackgroundProcess {
  constructor(
    private readonly storage: Storage,
    private readonly describe: () => Omit<ServerRecord, 'heartbeatAt'>,
    private readonly intervalMs: number,
    report: ProcessErrorReporter,
  ) {
    super('heartbeat', report);
  }

  protected async tick(): Promise<number> {
    await this.storage.serverHeartbeat({ server: this.describe() });
    return this.intervalMs;
  }
}
