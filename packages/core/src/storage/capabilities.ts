/** What a storage can do beyond the contract's baseline. A typed object, never strings. */
export interface StorageCapabilities {
  /** Several processes (or machines) may share the storage safely. */
  multiProcess: boolean;
  /**
   * How wake-up events reach servers: `none` (polling only), `local` (servers in the same process as
   * the writer), or `distributed` (servers in every process).
   */
  notifications: 'none' | 'local' | 'distributed';
  /** `enqueue(..., { transaction })` can join the caller's database transaction. */
  externalTransactions: boolean;
  /** The data survives a restart of the process. */
  durable: boolean;
  /**
   * Flow control (concurrency and rate limits per queue, job name and key) is stored and checked in
   * the claim. Without it `limitsSet` fails with ERR_CAPABILITY_MISSING, and so does a server whose
   * definitions set limits.
   */
  flowControl: boolean;
  /**
   * A job that has not started can be changed (`jobChange`: due time, priority, queue, arguments).
   * Without it `jobChange` fails with ERR_CAPABILITY_MISSING.
   */
  waitingChanges: boolean;
  /**
   * A create settles a job enqueued with `onDuplicate: 'replace'` against the active holder of its
   * unique key (`decideDuplicate`): the waiting holder is changed, a running one gives its key up.
   * Without it the client refuses `'replace'` with ERR_CAPABILITY_MISSING.
   */
  replaceDuplicates: boolean;
  /**
   * Exhausted jobs can be routed to the dead letters (`onExhausted: 'dead-letter'`), listed and
   * redriven (`deadLettersList`, `deadLettersGroups`, `deadLettersRedrive`). Without it those fail
   * with ERR_CAPABILITY_MISSING, and so does a server whose definitions route to the dead letters.
   */
  deadLetters: boolean;
  /**
   * Batches and flows (`storage.flows`): groups and graphs of jobs created atomically, batch
   * counters kept in each member's write, dependencies settled in each parent's write. Without it
   * `spool.batch` and `spool.flow` fail with ERR_CAPABILITY_MISSING.
   */
  batches: boolean;
  /**
   * `jobsComplete` can pass the places that successes free to the next jobs of their keys, leased
   * to the same server in the same write (`JobsCompleteParams.handover`, decision 53), so that a
   * server under per-key limits need not claim them back. Without it a server never asks.
   */
  handover: boolean;
}
