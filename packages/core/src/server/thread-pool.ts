import { Worker } from 'node:worker_threads';

import { JobRateLimitedSignal, JobSnoozedSignal, ThreadCrashedError, unrecoverable } from '../errors.js';
import type { JobDefinition } from '../job/definition.js';
import { fromErrorRecord, toErrorRecord } from '../job/error-record.js';
import type { JobContext } from '../job/job-context.js';
import type { FetchedJob, Json } from '../job/records.js';
import type { Runtime, Timer } from '../util/runtime.js';
import { ABORT_GRACE_MS } from './job-runner.js';
import type { FromThread, ToThread } from './thread-protocol.js';

const WORKER_URL = new URL('./thread-worker.js', import.meta.url);

/**
 * Worker threads for `execution: 'thread'` jobs. A thread runs one job at a time and is reused;
 * a thread whose job does not stop within a second of its signal aborting is terminated, so a
 * timeout or a shutdown always ends the work.
 */
export class ThreadPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Set<Worker>();
  private readonly waiting: Array<(worker: Worker) => void> = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly runtime: Runtime,
  ) {}

  /** Runs a job's handler in a thread; resolves with its result or rejects with its error. */
  async run(job: FetchedJob, definition: JobDefinition, ctx: JobContext): Promise<unknown> {
    const worker = await this.acquire();
    return new Promise((resolve, reject) => {
      let done = false;
      let killTimer: Timer | undefined;
      const finish = (keep: boolean) => {
        done = true;
        killTimer?.clear();
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        ctx.signal.removeEventListener('abort', onAbort);
        this.release(worker, keep);
      };
      const onMessage = (message: FromThread) => {
        switch (message.type) {
          case 'log':
            ctx.log[message.level](message.message);
            break;
          case 'call':
            void this.answer(worker, ctx, message);
            break;
          case 'done':
            finish(true);
            if (message.ok) resolve(message.value);
            else {
              const error = fromErrorRecord(message.error);
              if (message.snoozeMs !== undefined) reject(new JobSnoozedSignal(message.snoozeMs));
              else if (message.rateLimitedMs !== undefined) reject(new JobRateLimitedSignal(message.rateLimitedMs));
              else reject(message.unrecoverable ? unrecoverable(error) : error);
            }
            break;
        }
      };
      const onError = (error: Error) => {
        if (done) return;
        finish(false);
        reject(new ThreadCrashedError(`The worker thread running job ${job.id} crashed: ${error.message}`, { cause: error }));
      };
      const onExit = (code: number) => {
        if (done) return;
        finish(false);
        reject(ctx.signal.aborted ? ctx.signal.reason : new ThreadCrashedError(`The worker thread running job ${job.id} exited with code ${code}.`));
      };
      const onAbort = () => {
        post(worker, { type: 'abort', error: toErrorRecord(ctx.signal.reason) });
        // The handler may ignore its signal: end the thread after the grace period.
        killTimer = this.runtime.setTimer(() => void worker.terminate(), ABORT_GRACE_MS);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
      post(worker, {
        type: 'run',
        module: definition.options.module!,
        job: { id: job.id, name: job.name, queue: job.queue, attempt: job.attempt, maxAttempts: job.maxAttempts },
        args: job.args as Json,
      });
    });
  }

  /** Terminates every thread. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }

  private async answer(worker: Worker, ctx: JobContext, message: Extract<FromThread, { type: 'call' }>): Promise<void> {
    try {
      const [a, b, c] = message.args;
      let value: unknown;
      switch (message.method) {
        case 'progress':
          value = await ctx.progress(a as number);
          break;
        case 'getParameter':
          value = await ctx.getParameter(a as string);
          break;
        case 'setParameter':
          value = await ctx.setParameter(a as string, b as Json);
          break;
        case 'parent':
          value = await ctx.parent();
          break;
        case 'parents':
          value = await ctx.parents();
          break;
        case 'enqueue':
          value = await ctx.jobs.enqueue(a as string, b, c as never);
          break;
      }
      post(worker, { type: 'reply', callId: message.callId, ok: true, value });
    } catch (error) {
      post(worker, { type: 'reply', callId: message.callId, ok: false, error: toErrorRecord(error) });
    }
  }

  private acquire(): Promise<Worker> {
    if (this.closed) return Promise.reject(new ThreadCrashedError('The thread pool is closed.'));
    const worker = this.idle.pop();
    if (worker) {
      this.busy.add(worker);
      return Promise.resolve(worker);
    }
    if (this.busy.size < this.size) {
      const created = new Worker(WORKER_URL);
      created.unref();
      this.busy.add(created);
      return Promise.resolve(created);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker, keep: boolean): void {
    this.busy.delete(worker);
    if (!keep) void worker.terminate();
    const next = this.waiting.shift();
    if (next) {
      const handed = keep ? worker : new Worker(WORKER_URL);
      handed.unref();
      this.busy.add(handed);
      next(handed);
    } else if (keep && !this.closed) {
      this.idle.push(worker);
    }
  }
}

function post(worker: Worker, message: ToThread): void {
  worker.postMessage(message);
}
