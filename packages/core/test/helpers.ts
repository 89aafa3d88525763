import type { JobState, Spool } from '@spool/core';

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the job is in `state` and returns it. */
export async function waitForState(spool: Spool, id: string, state: JobState, timeoutMs = 10_000) {
  return waitFor(async () => {
    const job = await spool.getJob(id);
    return job?.state === state ? job : null;
  }, `job ${id} to be ${state}`, timeoutMs);
}

/** Server options for tests: fast polls, no signal handlers. */
export const fastServer = {
  pollInterval: 20,
  handleSignals: false,
  leaseRenewInterval: 200,
  rescueInterval: 100,
  recurringPollInterval: 100,
  heartbeatInterval: 200,
  expirationInterval: 200,
} as const;

/** The options of a job this test process has no definition of: enqueue by name must state them. */
export const BY_NAME = { queue: 'default', attempts: 10, timeout: null } as const;
