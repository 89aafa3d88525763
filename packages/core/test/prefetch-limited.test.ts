import { afterEach, describe, expect, it } from 'vitest';
import type { FetchedJob, JobsFetchParams } from '@spool/core';
import { ManualRuntime, MemoryStorage, Spool, defineJob } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer } from './driven-server.js';

/** A memory storage that remembers how many jobs every fetch returned. */
class CountingMemoryStorage extends MemoryStorage {
  readonly returned: number[] = [];

  override async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    const jobs = await super.jobsFetch(params);
    this.returned.push(jobs.length);
    return jobs;
  }
}

let spool: Spool;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
});

/** Burns down `jobs` jobs over `keys` keys, each key's jobs at most `perKey` at once, on a server of `concurrency` slots. */
async function burnDown(perKey: number, keys: number, jobs: number, concurrency: number): Promise<CountingMemoryStorage> {
  const job = defineJob('keyed', (_args: { k: string }) => undefined, { limits: { key: (a) => a.k, perKey: { concurrency: perKey } } });
  runtime = new ManualRuntime();
  const storage = new CountingMemoryStorage({ clock: runtime.clock });
  spool = new Spool({ storage, jobs: [job] }, runtime);
  await spool.enqueueMany(job, Array.from({ length: jobs }, (_, i) => ({ k: `k${i % keys}` })));
  const server = await spool.startServer({ ...drivenServer, concurrency });
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
    // One key of one place: each claim finds one job. Its outcome written frees the place, and the
    // storage's event of the freed place wakes the server once; its slot freeing before that, or a
    // second wake by the completer for the same write, would only add a claim that finds nothing.
    const jobs = 20;
    const storage = await burnDown(1, 1, jobs, 4);
    expect(storage.returned.filter((n) => n > 0).length).toBe(jobs);
    expect(storage.returned.filter((n) => n === 0).length).toBeLessThanOrEqual(2);
  });
});
