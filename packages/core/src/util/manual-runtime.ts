import { ManualClock } from './clock.js';
import type { Runtime, Timer } from './runtime.js';
import { sleepOn } from './runtime.js';

interface PendingTimer {
  due: number;
  order: number;
  fn: () => void;
}

/** How many turns of the event loop {@link ManualRuntime.settle} lets pass by default. */
const SETTLE_TURNS = 20;

/**
 * A runtime whose time moves only when a test says so: timers fire in `advance`, in due order, each
 * followed by a few turns of the event loop so that what it started can run. For tests of servers
 * on in-process storages (memory, SQLite), where a turn of the event loop is all that work waits for.
 */
export class ManualRuntime implements Runtime {
  readonly clock: ManualClock;
  readonly sleep: Runtime['sleep'];
  private timers: PendingTimer[] = [];
  private order = 0;

  constructor(
    start: number | Date = Date.UTC(2030, 0, 1),
    private readonly draw: () => number = () => 0.5,
  ) {
    this.clock = new ManualClock(start);
    this.sleep = sleepOn((fn, ms) => this.setTimer(fn, ms));
  }

  setTimer(fn: () => void, ms: number): Timer {
    const timer: PendingTimer = { due: this.clock.now() + Math.max(0, ms), order: this.order++, fn };
    this.timers.push(timer);
    return { clear: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  random(): number {
    return this.draw();
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, earliest first, with
   * the clock at its due time; after each, lets the work it started run (see {@link settle}).
   */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await this.settle();
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.timers = this.timers.filter((t) => t !== next);
      if (next.due > this.clock.now()) this.clock.set(next.due);
      next.fn();
      await this.settle();
    }
    if (target > this.clock.now()) this.clock.set(target);
    await this.settle();
  }

  /**
   * Lets `turns` turns of the event loop pass without moving time: promises and callbacks already
   * due run, so a check after it sees what the program does without time passing. A deterministic
   * step, not a wait for real time.
   */
  async settle(turns = SETTLE_TURNS): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  private nextDue(target: number): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (timer.due > target) continue;
      if (!next || timer.due < next.due || (timer.due === next.due && timer.order < next.order)) next = timer;
    }
    return next;
  }
}
