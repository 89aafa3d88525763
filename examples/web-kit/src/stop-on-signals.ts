/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  /** What stopping waits for, as printed: default `'finishing running jobs'`. */
  finishing?: string;
}

/**
 * Stops gracefully on the first SIGINT or SIGTERM (running jobs finish or go back to the queue),
 * and at once on the second. Exits 0 when `stop` resolves, 1 when it fails.
 */
export function stopOnSignals(program: string, stop: () => Promise<void>, options: StopOnSignalsOptions = {}): void {
  const finishing = options.finishing ?? 'finishing running jobs';
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
      stopping = true;
      console.log(`\n${program}: ${signal}, ${finishing}, then stopping (again to exit at once)`);
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`${program}: stop failed:`, error);
          process.exit(1);
        },
      );
    });
  }
}
