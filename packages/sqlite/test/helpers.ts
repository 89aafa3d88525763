import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NewJob } from '@spool/core';
import { UuidV7Generator } from '@spool/core';

/** Temporary directories for database files, removed by {@link removeTempDirs}. */
const dirs: string[] = [];

/** A path for a database file in a fresh temporary directory (the file does not exist yet). */
export function tempDbPath(name = 'spool.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-sqlite-test-'));
  dirs.push(dir);
  return join(dir, name);
}

/** Removes every temporary directory made by {@link tempDbPath}. */
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const ids = new UuidV7Generator();

/** A new enqueued job with defaults, overridden by `overrides`. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: ids.next(),
    name: 'test.job',
    args: {},
    queue: 'default',
    priority: 0,
    state: 'enqueued',
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    retentionMs: 86_400_000,
    backoff: null,
    uniqueKey: null,
    parentId: null,
    continueOn: null,
    recurringId: null,
    parameters: {},
    reason: 'Enqueued by a test',
    ...overrides,
  };
}

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
