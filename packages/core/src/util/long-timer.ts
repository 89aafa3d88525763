/**
 * The longest delay `setTimeout` honours: Node.js fires a longer one after 1 ms (and warns), so a
 * '25d' timeout or a '30d' interval would fire at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer started by {@link setLongTimeout}. */
export interface LongTimer {
  /** Cancels the timer. */
  clear(): void;
}

/**
 * Calls `fn` after `ms` milliseconds, for any finite `ms`: a delay longer than {@link MAX_TIMER_MS} is
 * waited in steps. `unref`: the timer does not keep the process alive.
 */
export function setLongTimeout(fn: () => void, ms: number, options: { unref?: boolean } = {}): LongTimer {
  const due = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (wait: number): void => {
    timer = setTimeout(() => {
      const left = due - Date.now();
      if (left > 0) arm(left);
      else fn();
    }, Math.min(Math.max(0, wait), MAX_TIMER_MS));
    if (options.unref) timer.unref();
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
