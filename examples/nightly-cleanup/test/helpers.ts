import { utimesSync, writeFileSync } from 'node:fs';

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Writes a file whose last modification is `at`. */
export function writeFileAt(path: string, at: Date | number): void {
  writeFileSync(path, 'exported\n');
  const time = new Date(at);
  utimesSync(path, time, time);
}

/** Server options for tests: quick polls, no signal handlers. */
export const quickServer = { pollInterval: 50, recurringPollInterval: 100, heartbeatInterval: 200, handleSignals: false } as const;
