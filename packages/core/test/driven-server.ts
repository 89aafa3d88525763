import type { JobDefinition, Server, ServerEvents } from '@spool/core';
import { ManualRuntime, MemoryStorage, Spool } from '@spool/core';

/** A Spool on the memory storage whose time, timers and randomness are a ManualRuntime. */
export function drivenSpool(jobs: readonly JobDefinition[] = []): { spool: Spool; runtime: ManualRuntime; storage: MemoryStorage } {
  const runtime = new ManualRuntime();
  const storage = new MemoryStorage({ clock: runtime.clock });
  const spool = new Spool({ storage, jobs }, runtime);
  return { spool, runtime, storage };
}

/** Server options for driven tests: no signal handlers, and long polls (time moves only when told). */
export const drivenServer = { handleSignals: false, pollInterval: '1m', recurringPollInterval: '1m' } as const;

type Payload<E extends keyof ServerEvents> = ServerEvents[E];

/**
 * Every event a server emits, in order, so that a test can wait for one that happened already or is
 * still to come, without a race between the work and the listener.
 */
export class ServerEventLog {
  private readonly seen: Array<{ name: keyof ServerEvents; payload: unknown; taken: boolean }> = [];
  private readonly waiters = new Set<() => void>();

  constructor(server: Server) {
    const names: Array<keyof ServerEvents> = [
      'error',
      'job:started',
      'job:succeeded',
      'job:retry-scheduled',
      'job:snoozed',
      'job:rate-limited',
      'job:failed',
      'job:requeued',
      'job:abandoned',
      'job:overdue',
      'jobs:rescued',
    ];
    for (const name of names) {
      server.events.on(name, (payload) => {
        this.seen.push({ name, payload, taken: false });
        for (const wake of [...this.waiters]) wake();
      });
    }
  }

  /** How many `name` events were emitted. */
  count<E extends keyof ServerEvents>(name: E, match: (payload: Payload<E>) => boolean = () => true): number {
    return this.seen.filter((e) => e.name === name && match(e.payload as Payload<E>)).length;
  }

  /** The first `name` event matching `match` not taken yet: one already emitted, or the next one. */
  next<E extends keyof ServerEvents>(name: E, match: (payload: Payload<E>) => boolean = () => true): Promise<Payload<E>> {
    return new Promise((resolve) => {
      const look = (): boolean => {
        const found = this.seen.find((e) => !e.taken && e.name === name && match(e.payload as Payload<E>));
        if (!found) return false;
        found.taken = true;
        this.waiters.delete(wake);
        resolve(found.payload as Payload<E>);
        return true;
      };
      const wake = (): void => void look();
      if (!look()) this.waiters.add(wake);
    });
  }

  /** Resolves once `count` `name` events were emitted in all (taking none of them). */
  reach<E extends keyof ServerEvents>(name: E, count: number): Promise<void> {
    return new Promise((resolve) => {
      const look = (): boolean => {
        if (this.count(name) < count) return false;
        this.waiters.delete(wake);
        resolve();
        return true;
      };
      const wake = (): void => void look();
      if (!look()) this.waiters.add(wake);
    });
  }

  /** The event of job `id`'s outcome or drop (`job:succeeded`, `job:failed`, ...). */
  nextFor<E extends 'job:started' | 'job:succeeded' | 'job:failed' | 'job:retry-scheduled' | 'job:requeued' | 'job:abandoned'>(name: E, id: string): Promise<Payload<E>> {
    return this.next(name, (p) => (p as { job: { id: string } }).job.id === id);
  }
}

/**
 * Moves time on in steps of `stepMs` until `promise` settles, and returns its value. The steps are
 * the test's, not real time: at most `maxSteps` of them, then it fails.
 */
export async function driveUntil<T>(runtime: ManualRuntime, promise: Promise<T>, stepMs = 100, maxSteps = 1000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  await runtime.settle();
  for (let step = 0; !settled; step++) {
    if (step >= maxSteps) throw new Error(`Still unsettled after ${maxSteps} steps of ${stepMs} ms`);
    await runtime.advance(stepMs);
  }
  return watched;
}
