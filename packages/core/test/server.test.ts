import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext, Server } from '@spool/core';
import { ManualClock, MemoryStorage, Spool, defineJob, unrecoverable } from '@spool/core';
import { fastServer, waitFor, waitForState } from './helpers.js';

let spool: Spool;

afterEach(async () => {
  await spool?.close();
});

function make(jobs: Parameters<Spool['define']>, clock?: ManualClock): Spool {
  spool = new Spool({ storage: new MemoryStorage({ clock }), jobs }, { clock });
  return spool;
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
    await spool.startServer(fastServer);
    const id = await spool.enqueue(double, { n: 21 });
    const job = await waitForState(spool, id, 'succeeded');
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
    await spool.startServer({ ...fastServer, concurrency: 4 });
    await waitFor(() => inFlight === 4, 'four jobs in flight');
    hold.open();
    await waitFor(async () => (await spool.stats()).states.succeeded === 20, 'all jobs to succeed');
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
    await spool.startServer({ ...fastServer, concurrency: 1, queues: ['high', 'low'] });
    await waitFor(() => order.length === 3, 'three jobs');
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
    await spool.startServer(fastServer);
    const id = await spool.enqueue(flaky, null);
    const job = await waitForState(spool, id, 'succeeded');
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
    await spool.startServer(fastServer);
    const id = await spool.enqueue(declined, null);
    const job = await waitForState(spool, id, 'failed');
    expect(job.attempt).toBe(1);
    expect(job.expiresAt).toBeNull();
    expect(job.history.at(-1)!.reason).toContain('unrecoverable');
  });

  it('fails a job when its attempts run out', async () => {
    const always = defineJob('always-fails', () => {
      throw new Error('nope');
    }, { attempts: 2, backoff: { type: 'fixed', delay: 1 } });
    make([always]);
    await spool.startServer(fastServer);
    const id = await spool.enqueue(always, null);
    const job = await waitForState(spool, id, 'failed');
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
    await spool.startServer(fastServer);
    const id = await spool.enqueue(slow, null);
    const job = await waitForState(spool, id, 'failed');
    expect(job.error).toMatchObject({ code: 'ERR_JOB_TIMEOUT' });
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
    await spool.startServer(fastServer);
    const id = await spool.enqueue(endless, null);
    await started.promise;
    await spool.delete(id);
    await waitFor(() => reason !== undefined, 'the signal to abort');
    expect(reason).toMatchObject({ code: 'ERR_JOB_CANCELLED' });
    await new Promise((r) => setTimeout(r, 50));
    expect((await spool.getJob(id))!.state).toBe('deleted');
  });

  it('stops gracefully: finishes short jobs, then aborts the rest and puts them back in the queue', async () => {
    const hold = gate();
    const quick = defineJob('quick', async () => {
      await new Promise((r) => setTimeout(r, 20));
      return 'quick';
    });
    const stuck = defineJob('stuck', async (_args: null, ctx: JobContext) => {
      hold.open();
      await abortedWith(ctx.signal);
      throw ctx.signal.reason;
    });
    make([quick, stuck]);
    const server = await spool.startServer({ ...fastServer, shutdownTimeout: 100 });
    const quickId = await spool.enqueue(quick, null);
    const stuckId = await spool.enqueue(stuck, null);
    await hold.promise;
    await server.stop();
    expect((await spool.getJob(quickId))!.state).toBe('succeeded');
    const requeued = (await spool.getJob(stuckId))!;
    expect(requeued.state).toBe('enqueued');
    expect(requeued.attempt).toBe(0);
    expect(requeued.history.at(-1)!.reason).toContain('shutting down');
    expect(requeued.history.some((h) => h.state === 'failed')).toBe(false);
    expect((await spool.storage.monitoring.servers()).length).toBe(0);
  });

  it('rescues the job of a server that died, once its lease expires', async () => {
    const clock = new ManualClock(Date.now());
    const task = defineJob('task', () => 'rescued');
    make([task], clock);
    const id = await spool.enqueue(task, null);
    const [taken] = await spool.storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 'dead-server', leaseMs: 30_000 });
    expect(taken!.id).toBe(id);
    await spool.startServer(fastServer);
    clock.advance(31_000);
    const job = await waitForState(spool, id, 'succeeded');
    expect(job.rescues).toBe(1);
    expect(job.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'enqueued', 'processing', 'succeeded']);
  });

  it('fails a job rescued more often than maxRescues as a poison pill', async () => {
    const clock = new ManualClock(Date.now());
    const task = defineJob('poison', () => 'never');
    make([task], clock);
    const id = await spool.enqueue(task, null);
    await spool.storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 'dead-server', leaseMs: 30_000 });
    await spool.startServer({ ...fastServer, maxRescues: 0, queues: ['other'] });
    clock.advance(31_000);
    const job = await waitForState(spool, id, 'failed');
    expect(job.error).toMatchObject({ code: 'ERR_LEASE_EXPIRED' });
  });

  it('runs a continuation after its parent, with the parent result readable', async () => {
    const parentJob = defineJob('parent', () => ({ total: 7 }));
    const childJob = defineJob('child', async (_args: null, ctx: JobContext) => (await ctx.parent())!.result);
    make([parentJob, childJob]);
    const parent = await spool.enqueue(parentJob, null);
    const child = await spool.continueWith(parent, childJob, null);
    const onFailure = await spool.continueWith(parent, childJob, null, { on: 'failed' });
    await spool.startServer(fastServer);
    expect((await waitForState(spool, child, 'succeeded')).result).toEqual({ total: 7 });
    expect((await waitForState(spool, onFailure, 'deleted')).history.at(-1)!.reason).toContain('runs only on failed');
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
    await spool.startServer(fastServer);
    const id = await spool.enqueue(main, null);
    const job = await waitForState(spool, id, 'succeeded');
    expect(job.logs.map((l) => [l.level, l.message])).toEqual([
      ['info', 'starting'],
      ['warn', 'step is two'],
    ]);
    expect(job.progress).toBe(100);
    expect(job.parameters.step).toBe('two');
    await waitForState(spool, job.result as string, 'succeeded');
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
    await spool.startServer(fastServer);
    const id = await spool.enqueue(main, null);
    const job = await waitForState(spool, id, 'succeeded');
    expect(job.logs.map((l) => [l.level, l.message])).toEqual([
      ['info', `running ${id}`],
      ['warn', 'step is three, aborted false'],
    ]);
    expect(job.parameters.step).toBe('three');
    await waitForState(spool, job.result as string, 'succeeded');
  });

  it('promotes delayed jobs when they fall due', async () => {
    const clock = new ManualClock(Date.now());
    const later = defineJob('later', () => 'later');
    make([later], clock);
    await spool.startServer(fastServer);
    const id = await spool.schedule(later, null, { delay: '1h' });
    await new Promise((r) => setTimeout(r, 60));
    expect((await spool.getJob(id))!.state).toBe('scheduled');
    clock.advance(3_600_000);
    await waitForState(spool, id, 'succeeded');
  });

  it('leaves a job of a name it does not know in the queue, untouched', async () => {
    const known = defineJob('known', () => 1);
    make([known]);
    await spool.startServer(fastServer);
    const stranger = await spool.enqueue('nobody.handles.this', { x: 1 });
    const mine = await spool.enqueue(known, null);
    await waitForState(spool, mine, 'succeeded');
    expect(await spool.getJob(stranger)).toMatchObject({ state: 'enqueued', attempt: 0 });
    const [server] = await spool.storage.monitoring.servers();
    expect(server!.jobNames).toEqual(['known']);
  });

  it('removes succeeded jobs after their retention', async () => {
    const clock = new ManualClock(Date.now());
    const brief = defineJob('brief', () => 1, { retention: '1m' });
    make([brief], clock);
    await spool.startServer(fastServer);
    const id = await spool.enqueue(brief, null);
    await waitForState(spool, id, 'succeeded');
    clock.advance(61_000);
    await waitFor(async () => (await spool.getJob(id)) === null, 'the job to expire');
  });

  it('emits typed events for outcomes', async () => {
    const ok = defineJob('ok', () => 'yes');
    make([ok]);
    const server: Server = await spool.startServer(fastServer);
    const seen: string[] = [];
    server.events.on('job:succeeded', ({ job, result }) => seen.push(`${job.name}=${String(result)}`));
    await spool.enqueue(ok, null);
    await waitFor(() => seen.length === 1, 'the event');
    expect(seen).toEqual(['ok=yes']);
  });

  it('keeps running when the storage fails, and reports the error as an event', async () => {
    const ok = defineJob('ok', () => 'yes');
    make([ok]);
    const storage = spool.storage as MemoryStorage;
    const original = storage.jobsFetch.bind(storage);
    let failures = 3;
    storage.jobsFetch = async (params) => {
      if (failures-- > 0) throw new Error('storage unavailable');
      return original(params);
    };
    const server = await spool.startServer(fastServer);
    const errors: string[] = [];
    server.events.on('error', ({ process }) => errors.push(process));
    const id = await spool.enqueue(ok, null);
    await waitForState(spool, id, 'succeeded');
    expect(errors).toContain('fetch');
  });
});
