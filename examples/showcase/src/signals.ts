/**
 * Stops gracefully on the first SIGINT or SIGTERM (running jobs finish or go back to the queue),
 * and at once on the second.
 */
export function stopOnSignals(program: string, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
      stopping = true;
      console.log(`\n${program}: ${signal}, finishing running jobs, then stopping (again to exit at once)`);
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
