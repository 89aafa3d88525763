import type { JobState } from '../states/states.js';
import type { Server } from '../server/server.js';

/** A job as the client created it: enough to count it. */
export interface EnqueuedJob {
  id: string;
  name: string;
  queue: string;
  /** `enqueued`, or `scheduled` (a delay or a time) or `awaiting` (a continuation). */
  state: JobState;
}

/** Events a Spool instance (the client) emits, by name. */
export interface ClientEvents {
  /**
   * Jobs were written to storage by `enqueue`, `enqueueMany`, `schedule` or `continueWith` (a job
   * refused by its unique key is not among them). With `transaction`, the write is part of your
   * transaction, which may still roll back.
   */
  'jobs:enqueued': { jobs: EnqueuedJob[] };
  /** `startServer()` built a server and is about to start it: the place to attach to its events. */
  'server:starting': { server: Server };
}
