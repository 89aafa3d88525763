import { afterEach, describe, expect, it } from 'vitest';
import type { FetchedJob, JobsCompleteParams, JobsCompleteResult, JobsFetchParams } from '@spool/core';
import { ManualRuntime, MemoryStorage, Spool, defineJob } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer } from './driven-server.js';

/** A memory storage that remembers how many jobs every fetch returned, and every completion write handed over. */
class CountingMemoryStorage extends MemoryStorage {
  readonly returned: number[] = [];
  readonly handedOver: number[] = [];

  override async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    const jobs = await super.jobsFetch(params);
    this.returned.push(jobs.length);
    return jobs;
  }

  override async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    const result = await super.jobsComplete(params);
    if (params.handover) this.handedOver.push(result.handedOver?.length ?? 0);
    return result;
  }
}

let spool: Spool;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
});

/** Burns down `jobs` jobs over `keys` keys, each key's jobs at most `perKey` at once, on a server of `concurrency` slots. */
async function burnDown(perKey: number, keys: number, jobs: number, concurrency: number, prefetch?: number): Promise<CountingMemoryStorage> {
  const job = defineJob('keyed', (_args: { k: string }) => undefined, { limits: { key: (a) => a.k, perKey: { concurrency: perKey } } });
  runtime = new ManualRuntime();
  const storage = new CountingMemoryStorage({ clock: runtime.clock });
  spool = new Spool({ storage, jobs: [job] }, runtime);
  await spool.enqueueMany(job, Array.from({ length: jobs }, (_, i) => ({ k: `k${i % keys}` })));
  const server = await spool.startServer({ ...drivenServer, concurrency, ...(prefetch === undefined ? {} : { prefetch }) });
  await new ServerEventLog(server).reach('job:succeeded', jobs);
  return storage;
}

describe('claiming jobs with limits ahead of free slots', () => {
  it('claims jobs with limits as many at a time as jobs without, up to their keys’ free places', async () => {
    const storage = await burnDown(2, 100, 1_000, 2);
    // 100 keys of 2 places: a claim ahead takes far more than the 2 free slots and one more round.
    expect(Math.max(...storage.returned)).toBeGreaterThan(2 + 2);
    expect(Math.max(...storage.returned)).toBeLessThanOrEqual(200);
  });

  it('does not claim again when a slot frees or an outcome is written after a claim that found no more to give', async () => {
    // One key of one place: the first claim finds one job; each success then hands its place to
    // the key's next job in its own write (decision 53). Its slot freeing, or a wake by the
    // completer for a write that handed a job over, would only add a claim that finds nothing.
    const jobs = 20;
    const storage = await burnDown(1, 1, jobs, 4);
    const claimed = storage.returned.reduce((sum, n) => sum + n, 0);
    const handed = storage.handedOver.reduce((sum, n) => sum + n, 0);
    expect(claimed + handed).toBe(jobs);
    expect(handed).toBeGreaterThanOrEqual(jobs - 2);
    expect(storage.returned.filter((n) => n === 0).length).toBeLessThanOrEqual(2);
  });

  it('serves keys in turn by claims while the server has less room than jobs could start', async () => {
    // 50 keys of one place, 2 slots and nothing claimed ahead: every claim fills the server's room,
    // so keys are served by claims in turn; a hand-over (a key's place to the same key) would keep
    // serving the same two keys while 48 others wait.
    const storage = await burnDown(1, 50, 200, 2, 0);
    // Only the last jobs, once fewer keys wait than the server has room for, may be handed over.
    const handed = storage.handedOver.reduce((sum, n) => sum + n, 0);
    expect(handed).toBeLessThanOrEqual(20);
    expect(storage.returned.reduce((sum, n) => sum + n, 0)).toBe(200 - handed);
  });
});
