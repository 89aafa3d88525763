import { afterEach, describe, expect, it } from 'vitest';
import type { FetchedJob, JobsCompleteParams, JobsCompleteResult, JobsFetchParams } from '@spool/core';
import type { JobDefinition, ServerOptions } from '@spool/core';
import { ManualRuntime, MemoryStorage, Spool, StorageError, defineJob } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer } from './driven-server.js';

let spool: Spool;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
});

/** A Spool whose time is a ManualRuntime, on a storage made with the runtime's clock. */
function make<S extends MemoryStorage>(Storage: new (options: { clock: ManualRuntime['clock'] }) => S, jobs: JobDefinition[]): S {
  runtime = new ManualRuntime();
  const storage = new Storage({ clock: runtime.clock });
  spool = new Spool({ storage, jobs }, runtime);
  return storage;
}

async function start(options: ServerOptions = {}) {
  const server = await spool.startServer({ ...drivenServer, ...options });
  return { server, log: new ServerEventLog(server) };
}

/** A promise with its resolve function, to hold work until a test releases it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * A memory storage whose completion writes can be held back (recording falls behind) or made to
 * fail (an outage), and that remembers the most jobs it ever showed as processing after a claim.
 */
class SlowRecordingStorage extends MemoryStorage {
  hold: Promise<void> | null = null;
  outage = false;
  peakProcessing = 0;
  completeCalls = 0;

  override async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    const jobs = await super.jobsFetch(params);
    const { states } = await this.monitoring.stats();
    this.peakProcessing = Math.max(this.peakProcessing, states.processing);
    return jobs;
  }

  override async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    this.completeCalls++;
    if (this.hold) await this.hold;
    if (this.outage) throw new StorageError('the database is unreachable', { retryable: true });
    return super.jobsComplete(params);
  }

  override async jobLeaseExtend(params: Parameters<MemoryStorage['jobLeaseExtend']>[0]): ReturnType<MemoryStorage['jobLeaseExtend']> {
    if (this.outage) throw new StorageError('the database is unreachable', { retryable: true });
    return super.jobLeaseExtend(params);
  }

  override async serverRemove(params: { id: string }): Promise<void> {
    if (this.outage) throw new StorageError('the database is unreachable', { retryable: true });
    return super.serverRemove(params);
  }
}

describe('durable completion', () => {
  it('claims no more while recording falls behind: at most concurrency + claim-ahead + one completion batch are processing', async () => {
    const noop = defineJob('noop', () => null);
    const storage = make(SlowRecordingStorage, [noop]);
    const released = gate();
    storage.hold = released.promise;
    await spool.enqueueMany(noop, Array.from({ length: 3000 }, () => null));
    const { server, log } = await start({ concurrency: 10, prefetch: 50 });
    const bound = 10 + 50 + 500;
    // Recording is held: the server runs jobs until the completion batch and its backlog fill up.
    await log.reach('job:started', bound - 10);
    await runtime.advance(5_000);
    expect(server.runningCount).toBe(0);
    const held = (await spool.stats()).states;
    expect(held.processing).toBeLessThanOrEqual(bound);
    expect(held.enqueued).toBeGreaterThanOrEqual(3000 - bound);
    released.open();
    storage.hold = null;
    await driveUntil(runtime, log.reach('job:succeeded', 3000), 1_000);
    expect(storage.peakProcessing).toBeLessThanOrEqual(bound);
  });

  it('renews the leases of jobs whose outcome awaits its write, so none is rescued and run again', async () => {
    let runs = 0;
    const once = defineJob('once', () => {
      runs++;
      return 'done';
    });
    const storage = make(SlowRecordingStorage, [once]);
    const released = gate();
    storage.hold = released.promise;
    const { server, log } = await start({ leaseTime: 1000, leaseRenewInterval: 100, rescueInterval: 100 });
    const rescued: string[] = [];
    server.events.on('jobs:rescued', (r) => rescued.push(...r.requeued, ...r.failed));
    const id = await spool.enqueue(once, null);
    await runtime.settle();
    expect(storage.completeCalls).toBe(1);
    // Hold the write for two and a half lease times: without renewal the lease expires twice over.
    await runtime.advance(2_500);
    released.open();
    await log.nextFor('job:succeeded', id);
    const job = (await spool.getJob(id))!;
    expect({ runs, rescues: job.rescues, rescued }).toEqual({ runs: 1, rescues: 0, rescued: [] });
  });

  it('keeps the slot of a handler that ignores its timeout until the handler returns', async () => {
    let inFlight = 0;
    let peak = 0;
    const stuck = gate();
    const track = async (work: Promise<void>) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await work;
      inFlight--;
    };
    // Ignores ctx.signal: its job is failed at the timeout, but the call goes on.
    const deaf = defineJob('deaf', () => track(stuck.promise), { timeout: 50, attempts: 1 });
    const quick = defineJob('quick', () => track(Promise.resolve()));
    make(MemoryStorage, [deaf, quick]);
    const { server, log } = await start({ concurrency: 1 });
    const overdue: string[] = [];
    server.events.on('job:overdue', ({ job }) => overdue.push(job.id));
    const deafId = await spool.enqueue(deaf, null);
    await log.nextFor('job:started', deafId);
    expect(inFlight).toBe(1);
    const quickId = await spool.enqueue(quick, null);
    // The timeout (50 ms), then the grace period after the abort (1 s): the job fails, its handler runs on.
    await driveUntil(runtime, log.nextFor('job:failed', deafId), 50);
    expect(overdue).toEqual([deafId]);
    expect(server.runningCount).toBe(1);
    const deafJob = (await spool.getJob(deafId))!;
    expect(deafJob.error?.code).toBe('ERR_JOB_TIMEOUT');
    // Log lines are written within half a second.
    await runtime.advance(500);
    expect((await spool.getJob(deafId))!.logs.some((l) => l.message.includes('still running'))).toBe(true);
    expect((await spool.getJob(quickId))!.state).toBe('enqueued');
    stuck.open();
    await log.nextFor('job:succeeded', quickId);
    expect(peak).toBe(1);
  });

  it('fails only the job whose outcome the storage refuses for good, and records the rest of its batch', async () => {
    class RefusingStorage extends MemoryStorage {
      override async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
        if (params.completions.some((c) => c.outcome.state === 'succeeded' && c.outcome.result === 'unstorable')) {
          throw new StorageError('invalid byte sequence for encoding "UTF8": 0x00', { retryable: false });
        }
        return super.jobsComplete(params);
      }
    }
    let runs = 0;
    const echo = defineJob('echo', (value: string) => {
      runs++;
      return value;
    });
    make(RefusingStorage, [echo]);
    const values = Array.from({ length: 40 }, (_, i) => (i === 17 ? 'unstorable' : `v${i}`));
    const ids = await spool.enqueueMany(echo, values);
    const { server, log } = await start();
    const failed: string[] = [];
    server.events.on('job:failed', ({ job, error }) => failed.push(`${job.id}:${error.code}`));
    await log.reach('job:succeeded', 39);
    await log.reach('job:failed', 1);
    expect((await spool.stats()).states).toMatchObject({ succeeded: 39, failed: 1, processing: 0 });
    const refused = (await spool.getJob(ids[17]!))!;
    expect(refused.state).toBe('failed');
    expect(refused.error).toMatchObject({ code: 'ERR_OUTCOME_UNSTORABLE' });
    expect(refused.error!.message).toContain('0x00');
    expect(failed).toEqual([`${ids[17]}:ERR_OUTCOME_UNSTORABLE`]);
    expect(runs).toBe(40);
  });

  it('stops within its deadline while the storage is unreachable, and says how many outcomes it could not write', async () => {
    const finish = gate();
    const work = defineJob('work', () => finish.promise);
    const storage = make(SlowRecordingStorage, [work]);
    const { server, log } = await start({ shutdownTimeout: 200, flushTimeout: 300 });
    const errors: Array<{ process: string; code: unknown }> = [];
    server.events.on('error', ({ process, error }) => errors.push({ process, code: (error as { code?: unknown }).code }));
    let stopped: { unrecorded: number } | null = null;
    server.events.on('stopped', (event) => (stopped = event));
    const ids = await spool.enqueueMany(work, [null, null, null]);
    await log.reach('job:started', 3);
    storage.outage = true;
    finish.open();
    await runtime.settle();
    expect(storage.completeCalls).toBeGreaterThan(0);
    await driveUntil(runtime, server.stop(), 50);
    expect(stopped).toEqual({ serverId: server.id, unrecorded: 3 });
    expect(errors).toContainEqual({ process: 'shutdown', code: 'ERR_OUTCOMES_UNRECORDED' });
    // Nothing was lost: the jobs are still processing under their leases, for lease rescue to return.
    storage.outage = false;
    for (const id of ids) expect((await spool.getJob(id))?.state).toBe('processing');
  });
});
