import type { ErrorRecord, Json, LogLevel } from '../job/records.js';

/** The job facts a worker thread needs to build its `ctx`. */
export interface ThreadJobInfo {
  id: string;
  name: string;
  queue: string;
  attempt: number;
  maxAttempts: number;
}

/** Calls a worker thread makes to the main thread on behalf of `ctx`. */
export type ThreadCallMethod = 'progress' | 'getParameter' | 'setParameter' | 'parent' | 'parents' | 'enqueue';

/** Messages from the main thread to a worker thread. */
export type ToThread =
  | { type: 'run'; module: string; job: ThreadJobInfo; args: Json }
  | { type: 'reply'; callId: number; ok: boolean; value?: unknown; error?: ErrorRecord }
  | { type: 'abort'; error: ErrorRecord };

/** Messages from a worker thread to the main thread. */
export type FromThread =
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'call'; callId: number; method: ThreadCallMethod; args: unknown[] }
  | { type: 'done'; ok: true; value: unknown }
  | { type: 'done'; ok: false; error: ErrorRecord; unrecoverable: boolean; snoozeMs?: number; rateLimitedMs?: number };
