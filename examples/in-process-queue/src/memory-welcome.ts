import { randomUUID } from 'node:crypto';

import { BoundedQueue } from './bounded-queue.js';
import type { CompletedLog } from './completed-log.js';
import type { RunningConsumers } from './queue-consumers.js';
import { startConsumers } from './queue-consumers.js';
import type { SimulatedMailer, WelcomeEmail } from './welcome-email.js';

/** A welcome email in the in-memory queue, with the id its completion is recorded under. */
export type QueuedEmail = WelcomeEmail & { id: string };

/** Options of {@link MemoryWelcomeSender}. */
export interface MemoryWelcomeOptions {
  capacity: number;
  consumers: number;
  mailer: SimulatedMailer;
  completed: CompletedLog;
}

/** What the in-memory path looks like right now. */
export interface MemoryQueueStatus {
  capacity: number;
  consumers: number;
  /** Emails buffered, waiting for a consumer. */
  buffered: number;
  /** Emails being sent now. */
  sending: number;
  /** Producers waiting for room. */
  waitingProducers: number;
  /** Emails whose send failed: with no retry, they are lost. */
  failed: number;
  closed: boolean;
}

/**
 * Welcome emails sent through a bounded in-memory queue and a few consumers in this process: the
 * in-process pattern. Quick and simple, with back-pressure; nothing survives the process.
 */
export class MemoryWelcomeSender {
  private readonly queue: BoundedQueue<QueuedEmail>;
  private readonly running: RunningConsumers;
  private failed = 0;

  constructor(private readonly options: MemoryWelcomeOptions) {
    this.queue = new BoundedQueue<QueuedEmail>(options.capacity);
    this.running = startConsumers(this.queue, {
      consumers: options.consumers,
      handle: async (email) => {
        await options.mailer.send(email);
        options.completed.record('memory', email.id);
      },
      onError: (email, error) => {
        this.failed += 1;
        console.error(`in-process-queue: welcome email ${email.id} to ${email.to} failed and is lost:`, error);
      },
    });
  }

  /** Queues an email, waiting while the queue is full; `waited` tells whether it had to. */
  async send(email: WelcomeEmail, signal?: AbortSignal): Promise<{ id: string; waited: boolean }> {
    const queued = { ...email, id: randomUUID() };
    if (this.queue.tryAdd(queued)) return { id: queued.id, waited: false };
    await this.queue.add(queued, signal);
    return { id: queued.id, waited: true };
  }

  status(): MemoryQueueStatus {
    return {
      capacity: this.queue.capacity,
      consumers: this.options.consumers,
      buffered: this.queue.size,
      sending: this.running.busy,
      waitingProducers: this.queue.waitingProducers,
      failed: this.failed,
      closed: this.queue.isClosed,
    };
  }

  /**
   * Stops taking emails and lets the consumers send what is buffered, for at most `timeoutMs`.
   * Resolves to the number of emails still unsent then: those are lost, as everything buffered is
   * when the process dies without this graceful stop.
   */
  async close(timeoutMs: number): Promise<number> {
    this.queue.close();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.running.finished.then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    return outcome === 'drained' ? 0 : this.queue.size + this.running.busy;
  }
}
