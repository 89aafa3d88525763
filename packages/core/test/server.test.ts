import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext, JobDefinition, ManualRuntime, MemoryStorage, ServerHost, ServerOptions , Spool} from '@spool/core';
import { Server, defineJob, unrecoverable } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer, drivenSpool } from './driven-server.js';
import { BY_NAME } from './helpers.js';

let spool: Spool;
let runtime: ManualRuntime;
let storage: MemoryStorage;

afterEach(async () => {
  // Stopping waits on the runtime's timers (shutdown deadlines): move time on until it is done.
  if (spool) await driveUntil(runtime, spool.close());
});

function make(jobs: JobDefinition[]): void {
  ({ spool, runtime, storage } = drivenSpool(jobs));
}

async function start(options: ServerOptions = {}): Promise<{ server: Server; log: ServerEventLog }> {
  const server = await spool.startServer({ ...drivenServer, ...options });
  return { server, log: new ServerEventLog(server) };
}

/** A promise with its resolve function, to hold handlers until a test releases them. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function abortedWith(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

describe('the server', () => {
  it('runs enqueued jobs and stores their results', async () => {
    const double = defineJob('double', (args: { n: number }) => args.n * 2);
    make([double]);
    const { log } = await start();
    const id = await spool.enqueue(double, { n: 21 });
    await log.nextFor('job:succeeded', id);
    const job = (await spool.getJob(id))!;
    expect(job.result).toBe(42);
    expect(job.attempt).toBe(1);
    expect(job.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'succeeded']);
  });

  it('never runs more jobs at once than its concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const hold = gate();
    const work = defineJob('work', async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await hold.promise;
      inFlight--;
    });
    make([work]);
    await spool.enqueueMany(work, Array.from({ length: 20 }, () => null));
    const { log } = await start({ concurrency: 4 });
    await runtime.settle();
    expect(inFlight).toBe(4);
    hold.open();
    for (let i = 0; i < 20; i++) await log.next('job:succeeded');
    expect((await spool.stats()).states.succeeded).toBe(20);
    expect(peak).toBe(4);
  });

  it('serves queues in the given order and higher priority first within a queue', async () => {
    const order: string[] = [];
    const record = defineJob('record', (args: { label: string }) => {
      order.push(args.label);
    });
    make([record]);
    await spool.enqueue(record, { label: 'low-queue' }, { queue: 'low' });
    await spool.enqueue(record, { label: 'high-p0' }, { queue: 'high' });
    await spool.enqueue(record, { label: 'high-p5' }, { queue: 'high', priority: 5 });
    const { log } = await start({ concurrency: 1, queues: ['high', 'low'] });
    for (let i = 0; i < 3; i++) await log.next('job:succeeded');
    expect(order).toEqual(['high-p5', 'high-p0', 'low-queue']);
  });

  it('retries a failing job with its backoff until it succeeds, keeping each failure in the history', async () => {
    const flaky = defineJob(
      'flaky',
      (_args: null, ctx: JobContext) => {
        if (ctx.attempt < 3) throw new Error(`failure ${ctx.attempt}`);
        return 'done';
      },
      { backoff: { type: 'fixed', delay: 10 } },
    );
    make([flaky]);
    const { log } = await start();
    const id = await spool.enqueue(flaky, null);
    for (const attempt of [1, 2]) {
      const { runAt } = await log.nextFor('job:retry-scheduled', id);
      expect(runAt.getTime()).toBe(runtime.clock.now() + 10);
      // Not a moment before its backoff has passed.
      await runtime.advance(9);
      expect((await spool.getJob(id))!).toMatchObject({ state: 'scheduled', attempt });
      await runtime.advance(1);
    }
    await log.nextFor('job:succeeded', id);
    const job = (await spool.getJob(id))!;
    expect(job.attempt).toBe(3);
    const retries = job.history.filter((h) => h.state === 'scheduled');
    expect(retries.map((h) => h.reason)).toEqual([
      'Attempt 1 of 10 failed: failure 1; retry in 10 ms',
      'Attempt 2 of 10 failed: failure 2; retry in 10 ms',
    ]);
    expect(job.error).toMatchObject({ name: 'Error', message: 'failure 2' });
  });

  it('fails a job at once when its error is unrecoverable, and keeps it', async () => {
    const declined = defineJob('declined', () => {
      throw unrecoverable(new Error('card declined'));
    });
    make([declined]);
    const { log } = await start();
    const id = await spool.enqueue(declined, null);
    await log.nextFor('job:failed', id);
    const job = (await spool.getJob(id))!;
    expect(job.attempt).toBe(1);
    expect(job.expiresAt).toBeNull();
    expect(job.history.at(-1)!.reason).toContain('unrecoverable');
    expect(log.count('job:retry-scheduled')).toBe(0);
  });

  it('fails a job when its attempts run out', async () => {
    const always = defineJob('always-fails', () => {
      throw new Error('nope');
    }, { attempts: 2, backoff: { type: 'fixed', delay: 1 } });
    make([always]);
    const { log } = await start();
    const id = await spool.enqueue(always, null);
    await log.nextFor('job:retry-scheduled', id);
    await runtime.advance(1);
    await log.nextFor('job:failed', id);
    const job = (await spool.getJob(id))!;
    expect(job.attempt).toBe(2);
    expect(job.history.at(-1)!.reason).toBe('Attempt 2 of 2 failed: nope (no attempts left)');
  });

  it('aborts a handler that exceeds its timeout and fails the attempt with a timeout error', async () => {
    let reason: unknown;
    const slow = defineJob('slow', async (_args: null, ctx: JobContext) => {
      reason = await abortedWith(ctx.signal);
      throw ctx.signal.reason;
    }, { timeout: 50, attempts: 1 });
    make([slow]);
    const { log } = await start();
    const id = await spool.enqueue(slow, null);
    await log.nextFor('job:started', id);
    await runtime.advance(49);
    expect(reason).toBeUndefined();
    await runtime.advance(1);
    await log.nextFor('job:failed', id);
    expect((await spool.getJob(id))!.error).toMatchObject({ code: 'ERR_JOB_TIMEOUT' });
    expect(reason).toMatchObject({ code: 'ERR_JOB_TIMEOUT' });
  });

  it('aborts the signal of a running job that is deleted, and keeps it deleted', async () => {
    let reason: unknown;
    const started = gate();
    const endless = defineJob('endless', async (_args: null, ctx: JobContext) => {
      started.open();
      reason = await abortedWith(ctx.signal);
      return 'finished anyway';
    });
    make([endless]);
    const { log } = await start();
    const id = await spool.enqueue(endless, null);
    await started.promise;
    await spool.delete(id);
    // The handler's late success is dropped, not recorded over the deletion.
    const { reason: dropped } = await log.nextFor('job:abandoned', id);
    expect(dropped).toContain('cancelled');
    expect(reason).toMatchObject({ code: 'ERR_JOB_CANCELLED' });
    expect((await spool.getJob(id))!.state).toBe('deleted');
    expect(log.count('job:succeeded')).toBe(0);
  });

  it('stops gracefully: finishes short jobs, then aborts the rest and puts them back in the queue', async () => {
    const hold = gate();
    const quick = defineJob('quick', async () => {
      await runtime.sleep(20);
      return 'quick';
    });
    const stuck = defineJob('stuck', async (_args: null, ctx: JobContext) => {
      hold.open();
      await abortedWith(ctx.signal);
      throw ctx.signal.reason;
    });
    make([quick, stuck]);
    const { server, log } = await start({ shutdownTimeout: 100 });
    const quickId = await spool.enqueue(quick, null);
    const stuckId = await spool.enqueue(stuck, null);
    await hold.promise;
    await driveUntil(runtime, server.stop(), 10);
    await log.nextFor('job:succeeded', quickId);
    await log.nextFor('job:requeued', stuckId);
    const requeued = (await spool.getJob(stuckId))!;
    expect(requeued.state).toBe('enqueued');
    expect(requeued.attempt).toBe(0);
    expect(requeued.history.at(-1)!.reason).toContain('shutting down');
    expect(requeued.history.some((h) => h.state === 'failed')).toBe(false);
    expect((await spool.storage.monitoring.servers()).length).toBe(0);
  });

  it('rescues the job of a server that died, once its lease expires', async () => {
    const task = defineJob('task', () => 'rescued');
    make([task]);
    const id = await spool.enqueue(task, null);
    const [taken] = await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 'dead-server', leaseMs: 30_000 });
    expect(taken!.id).toBe(id);
    const { log } = await start();
    await runtime.advance(29_000);
    expect(log.count('jobs:rescued')).toBe(0);
    await runtime.advance(6_000);
    expect(await log.next('jobs:rescued')).toEqual({ requeued: [id], failed: [] });
    await log.nextFor('job:succeeded', id);
    const job = (await spool.getJob(id))!;
    expect(job.rescues).toBe(1);
    expect(job.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'enqueued', 'processing', 'succeeded']);
  });

  it('fails a job rescued more often than maxRescues as a poison pill', async () => {
    const task = defineJob('poison', () => 'never');
    make([task]);
    const id = await spool.enqueue(task, null);
    await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 'dead-server', leaseMs: 30_000 });
    const { log } = await start({ maxRescues: 0, queues: ['other'] });
    await runtime.advance(35_000);
    expect(await log.next('jobs:rescued')).toEqual({ requeued: [], failed: [id] });
    expect((await spool.getJob(id))!.error).toMatchObject({ code: 'ERR_LEASE_EXPIRED' });
  });

  it('runs a continuation after its parent, with the parent result readable', async () => {
    const parentJob = defineJob('parent', () => ({ total: 7 }));
    const childJob = defineJob('child', async (_args: null, ctx: JobContext) => (await ctx.parent())!.result);
    make([parentJob, childJob]);
    const parent = await spool.enqueue(parentJob, null);
    const child = await spool.continueWith(parent, childJob, null);
    const onFailure = await spool.continueWith(parent, childJob, null, { on: 'failed' });
    const { log } = await start();
    expect((await log.nextFor('job:succeeded', child)).result).toEqual({ total: 7 });
    // Settled in the parent's own commit: deleted, never run.
    const skipped = (await spool.getJob(onFailure))!;
    expect(skipped.state).toBe('deleted');
    expect(skipped.history.at(-1)!.reason).toContain('runs only on failed');
    expect(log.count('job:started', (p) => p.job.id === onFailure)).toBe(0);
  });

  it('persists logs, progress and parameters written through the context, and enqueues follow-up jobs', async () => {
    const follow = defineJob('follow-up', () => 'followed');
    const main = defineJob('main', async (_args: null, ctx: JobContext) => {
      ctx.log.info('starting');
      await ctx.progress(40);
      await ctx.setParameter('step', 'two');
      ctx.log.warn(`step is ${await ctx.getParameter('step')}`);
      return ctx.jobs.enqueue('follow-up', null);
    });
    make([main, follow]);
    const { log } = await start();
    const id = await spool.enqueue(main, null);
    const { result: followId } = await log.nextFor('job:succeeded', id);
    const job = (await spool.getJob(id))!;
    expect(job.logs.map((l) => [l.level, l.message])).toEqual([
      ['info', 'starting'],
      ['warn', 'step is two'],
    ]);
    expect(job.progress).toBe(100);
    expect(job.parameters.step).toBe('two');
    expect((await log.nextFor('job:succeeded', followId as string)).result).toBe('followed');
  });

  it('gives the same context when a handler takes its members apart', async () => {
    const follow = defineJob('follow-up', () => 'followed');
    const main = defineJob('main', async (_args: null, { log, progress, setParameter, getParameter, jobs, signal, id }: JobContext) => {
      log.info(`running ${id}`);
      await progress(60);
      await setParameter('step', 'three');
      log.warn(`step is ${await getParameter('step')}, aborted ${signal.aborted}`);
      return jobs.enqueue('follow-up', null);
    });
    make([main, follow]);
    const events = await start();
    const id = await spool.enqueue(main, null);
    const { result: followId } = await events.log.nextFor('job:succeeded', id);
    const job = (await spool.getJob(id))!;
    expect(job.logs.map((l) => [l.level, l.message])).toEqual([
      ['info', `running ${id}`],
      ['warn', 'step is three, aborted false'],
    ]);
    expect(job.parameters.step).toBe('three');
    await events.log.nextFor('job:succeeded', followId as string);
  });

  it('promotes delayed jobs when they fall due, not before', async () => {
    const later = defineJob('later', () => 'later');
    make([later]);
    const { log } = await start();
    const id = await spool.schedule(later, null, { delay: '1h' });
    await runtime.advance(3_600_000 - 1);
    expect((await spool.getJob(id))!.state).toBe('scheduled');
    await runtime.advance(1);
    await log.nextFor('job:succeeded', id);
  });

  it('leaves a job of a name it does not know in the queue, untouched', async () => {
    const known = defineJob('known', () => 1);
    make([known]);
    const { server, log } = await start();
    const stranger = await spool.enqueue('nobody.handles.this', { x: 1 }, BY_NAME);
    const mine = await spool.enqueue(known, null);
    await log.nextFor('job:succeeded', mine);
    await runtime.advance(60_000);
    expect(await spool.getJob(stranger)).toMatchObject({ state: 'enqueued', attempt: 0 });
    expect(server.jobNames).toEqual(['known']);
    const [record] = await spool.storage.monitoring.servers();
    expect(record!.jobNames).toEqual(['known']);
  });

  it('removes succeeded jobs after their retention', async () => {
    const brief = defineJob('brief', () => 1, { retention: '1m' });
    make([brief]);
    const { log } = await start({ expirationInterval: '10s' });
    const id = await spool.enqueue(brief, null);
    await log.nextFor('job:succeeded', id);
    await runtime.advance(59_000);
    expect(await spool.getJob(id)).not.toBeNull();
    await runtime.advance(11_000);
    expect(await spool.getJob(id)).toBeNull();
  });

  it('emits typed events for outcomes', async () => {
    const ok = defineJob('ok', () => 'yes');
    make([ok]);
    const { server, log } = await start();
    const seen: string[] = [];
    server.events.on('job:succeeded', ({ job, result }) => seen.push(`${job.name}=${String(result)}`));
    const id = await spool.enqueue(ok, null);
    await log.nextFor('job:succeeded', id);
    expect(seen).toEqual(['ok=yes']);
  });

  it('keeps running when the storage fails, and reports the error as an event', async () => {
    const ok = defineJob('ok', () => 'yes');
    make([ok]);
    const original = storage.jobsFetch.bind(storage);
    let failures = 3;
    storage.jobsFetch = async (params) => {
      if (failures-- > 0) throw new Error('storage unavailable');
      return original(params);
    };
    const { log } = await start();
    const id = await spool.enqueue(ok, null);
    // The fetch loop backs off after each failure; time moves on until it gets through.
    await driveUntil(runtime, log.nextFor('job:succeeded', id));
    // Three failed fetches came first (the first may fail before the log listens).
    expect(failures).toBeLessThan(0);
    expect(log.count('error', (e) => e.process === 'fetch')).toBeGreaterThanOrEqual(2);
  });
});

describe('a server on a host of its own', () => {
  it('runs jobs with no Spool behind it: the host gives the storage, the definitions and the time', async () => {
    const greet = defineJob('greet', (args: { who: string }) => `hello ${args.who}`);
    ({ spool, runtime, storage } = drivenSpool());
    const definitions = new Map([[greet.name, greet as JobDefinition]]);
    const host: ServerHost = {
      storage,
      runtime,
      init: () => storage.init(),
      definition: (name) => definitions.get(name) ?? null,
      jobNames: () => [...definitions.keys()],
      enqueue: () => Promise.reject(new Error('this host enqueues nothing')),
      setParameter: () => Promise.reject(new Error('this host sets no parameter')),
      fireRecurring: () => Promise.reject(new Error('this host fires nothing')),
    };
    const server = new Server(host, drivenServer);
    const log = new ServerEventLog(server);
    await server.start();
    // The client, elsewhere, knows the job by name only.
    const id = await spool.enqueue('greet', { who: 'host' }, BY_NAME);
    expect((await log.nextFor('job:succeeded', id)).result).toBe('hello host');
    await driveUntil(runtime, server.stop());
  });
});
