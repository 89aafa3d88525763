import type { Runtime } from './runtime.js';

/** A one-shot wake-up that a sleeping loop can wait on; `wake()` ends the current wait early. */
export class Waker {
  private pending: (() => void) | null = null;
  private woken = false;

  constructor(private readonly setTimer: Runtime['setTimer']) {}

  /** Ends the current (or the next) wait at once. */
  wake(): void {
    this.woken = true;
    const resolve = this.pending;
    this.pending = null;
    resolve?.();
  }

  /** Waits until `wake()`, `ms` elapse or `signal` aborts, whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.woken || signal?.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = (): void => {
        timer.clear();
        signal?.removeEventListener('abort', finish);
        this.pending = null;
        this.woken = false;
        resolve();
      };
      const timer = this.setTimer(finish, ms);
      signal?.addEventListener('abort', finish, { once: true });
      this.pending = finish;
    });
  }
}
