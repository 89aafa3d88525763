import { setLongTimeout } from './long-timer.js';

/** Waits `ms` milliseconds, or less if `signal` aborts first. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) {
      resolve();
      return;
    }
    const timer = setLongTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      timer.clear();
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** A one-shot wake-up that a sleeping loop can wait on; `wake()` ends the current wait early. */
export class Waker {
  private pending: (() => void) | null = null;
  private woken = false;

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
      const timer = setLongTimeout(finish, ms);
      signal?.addEventListener('abort', finish, { once: true });
      this.pending = finish;
    });
  }
}
