/**
 * Runs a start-up step once and remembers its success, not its failure: calls made while it runs
 * share it, calls after it succeeded get the same result at once, and a call after it failed runs it
 * again. So a storage outage at boot pauses work; it never breaks the instance for good.
 */
export class StartOnce<T> {
  private running: Promise<T> | null = null;
  private done = false;

  constructor(private readonly start: () => Promise<T>) {}

  /** Whether the step has succeeded. */
  get succeeded(): boolean {
    return this.done;
  }

  /** The step's result: started now, shared while it runs, or remembered once it succeeded. */
  run(): Promise<T> {
    this.running ??= this.start().then(
      (value) => {
        this.done = true;
        return value;
      },
      (error: unknown) => {
        this.running = null;
        throw error;
      },
    );
    return this.running;
  }

  /** The step while it runs or after it succeeded; null if it never started or its last try failed. */
  get current(): Promise<T> | null {
    return this.running;
  }
}
