/** A source of time. Injected through `runtime` so that tests control time instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: for tests. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: number | Date = Date.UTC(2030, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }

  /** Sets the clock to an absolute time. */
  set(time: number | Date): void {
    this.current = typeof time === 'number' ? time : time.getTime();
  }
}
