import type { FileStore } from '../files/file-store.js';
import { sweepPayloads } from '../files/payload-sweep.js';
import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';

/** Pause between two sweep steps of one pass, so that the sweep never hogs the storage or the store. */
const BETWEEN_STEPS_MS = 100;

/** Files listed per sweep step. */
const FILES_PER_STEP = 500;

/**
 * Removes the by-reference payload files of jobs that no longer exist (see `sweepPayloads`): a
 * pass walks the whole `payloads/` prefix in steps, then waits `intervalMs` before the next pass.
 * Every server with a file store runs one; removing a file twice is harmless.
 */
export class PayloadSweeper extends BackgroundProcess {
  private cursor: string | null = null;

  constructor(
    context: ProcessContext,
    private readonly files: FileStore,
    private readonly intervalMs: number,
  ) {
    super('payloadSweeper', context);
  }

  protected async tick(): Promise<number> {
    const result = await sweepPayloads({ files: this.files, storage: this.storage, after: this.cursor, limit: FILES_PER_STEP, now: this.runtime.clock.now() });
    this.cursor = result.cursor;
    return this.cursor === null ? this.intervalMs : BETWEEN_STEPS_MS;
  }
}
