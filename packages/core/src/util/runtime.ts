import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { setLongTimeout } from './long-timer.js';

/** A timer started by {@link Runtime.setTimer}. */
export interface Timer {
  /** Cancels the timer; calling it after the timer fired does nothing. */
  clear(): void;
}

/**
 * Where time, timers and randomness come from. Every part of Spool that waits, measures or draws
 * (background loops, job timeouts, retry jitter, stop deadlines) asks this object, so a test can
 * drive time with a {@link ManualRuntime} instead of sleeping.
 */
export interface Runtime {
  /** The current time. */
  readonly clock: Clock;
  /** Calls `fn` after `ms` milliseconds (any finite `ms`). A pending timer keeps the process alive, as a running server should. */
  setTimer(fn: () => void, ms: number): Timer;
  /** Waits `ms` milliseconds, or less if `signal` aborts first. Never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1): retry jitter. */
  random(): number;
}

/** Parts of a {@link Runtime} to replace; the rest are the real ones. */
export interface RuntimeOptions {
  clock?: Clock;
  setTimer?: Runtime['setTimer'];
  sleep?: Runtime['sleep'];
  random?: () => number;
}

const systemSetTimer: Runtime['setTimer'] = (fn, ms) => setLongTimeout(fn, ms);

/** The real runtime: the wall clock, Node.js timers and `Math.random`. */
export const systemRuntime: Runtime = {
  clock: systemClock,
  setTimer: systemSetTimer,
  sleep: sleepOn(systemSetTimer),
  random: () => Math.random(),
};

/**
 * A runtime with some parts replaced. A given `setTimer` also drives `sleep`, unless `sleep` is
 * given too; a clock alone keeps real timers (as `{ clock }` always did).
 */
export function resolveRuntime(options: RuntimeOptions = {}): Runtime {
  // Called as methods of `options`, so that a runtime object (a ManualRuntime) keeps its `this`.
  const o = options;
  const setTimer: Runtime['setTimer'] = o.setTimer ? (fn, ms) => o.setTimer!(fn, ms) : systemRuntime.setTimer;
  return {
    clock: o.clock ?? systemRuntime.clock,
    setTimer,
    sleep: o.sleep ? (ms, signal) => o.sleep!(ms, signal) : o.setTimer ? sleepOn(setTimer) : systemRuntime.sleep,
    random: o.random ? () => o.random!() : systemRuntime.random,
  };
}

/** A `sleep` built on a `setTimer`: resolves when the timer fires or the signal aborts. */
export function sleepOn(setTimer: Runtime['setTimer']): Runtime['sleep'] {
  return (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) {
        resolve();
        return;
      }
      const done = (): void => {
        timer.clear();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimer(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
}
