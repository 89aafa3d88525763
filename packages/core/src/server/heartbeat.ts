import type { ServerRecord } from '../job/records.js';
import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/** Announces the server to the storage (queues, concurrency, job names, running count). */
export class Heartbeat extends BackgroundProcess {
  constructor(
    context: ProcessContext,
    private readonly describe: () => Omit<ServerRecord, 'heartbeatAt'>,
    private readonly intervalMs: number,
  ) {
    super('heartbeat', context);
  }

  protected async tick(): Promise<number> {
    await this.storage.serverHeartbeat({ server: this.describe() });
    return this.intervalMs;
  }
}
