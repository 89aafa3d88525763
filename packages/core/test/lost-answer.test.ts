import { afterEach, describe, expect, it } from 'vitest';
import type { JobsCompleteParams, JobsCompleteResult } from '@spool/core';
import { ManualRuntime, MemoryStorage, Spool, defineJob } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer } from './driven-server.js';

/** A memory storage whose first completion write commits and then fails, as when a connection drops during COMMIT. */
class LostAnswerStorage extends MemoryStorage {
  lost = 0;

  override async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    const result = await super.jobsComplete(params);
    if (this.lost === 0) {
      this.lost++;
      throw new Error('connection lost while committing');
    }
    return result;
  }
}

let spool: Spool;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
});

describe('a completion whose answer is lost', () => {
  it('is written again and reported as the job outcome, not as a change by someone else', async () => {
    runtime = new ManualRuntime();
    const storage = new LostAnswerStorage({ clock: runtime.clock });
    const greet = defineJob('greet', async (name: string) => `hello ${name}`);
    spool = new Spool({ storage, jobs: [greet] }, runtime);
    const server = await spool.startServer(drivenServer);
    const log = new ServerEventLog(server);
    const succeeded: string[] = [];
    const abandoned: string[] = [];
    const errors: unknown[] = [];
    server.events.on('job:succeeded', ({ job }) => succeeded.push(job.id));
    server.events.on('job:abandoned', ({ job }) => abandoned.push(job.id));
    server.events.on('error', ({ error }) => errors.push(error));
    const id = await spool.enqueue(greet, 'Ada');
    // The completer retries after a backoff: time moves on until the outcome is reported.
    await driveUntil(runtime, Promise.race([log.nextFor('job:succeeded', id), log.nextFor('job:abandoned', id)]), 50);
    expect(storage.lost).toBe(1);
    expect(errors).toHaveLength(1);
    expect({ succeeded, abandoned }).toEqual({ succeeded: [id], abandoned: [] });
    const job = await spool.getJob(id);
    expect(job).toMatchObject({ state: 'succeeded', result: 'hello Ada' });
    expect(job!.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'succeeded']);
  });
});
