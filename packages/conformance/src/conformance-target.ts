import type { Clock, Storage } from '@spool/core';

/** A storage under test: how the conformance suite makes, connects to and (optionally) damages it. */
export interface ConformanceTarget {
  /** Shown in test names, e.g. 'memory', 'sqlite'. */
  name: string;
  /** A fresh, empty, initialised storage that reads time from `runtime.clock`. */
  create(runtime: { clock: Clock }): Promise<Storage>;
  /**
   * Like `create`, but the storage writes every state change through its general path, never through
   * the writes it fixes in advance for hot paths (e.g. a statement for a batch of successes). The
   * suite compares the two. Omit it for a storage with no such writes.
   */
  createGeneralWritesOnly?(runtime: { clock: Clock }): Promise<Storage>;
  /** Another handle on the same data (a second connection), same clock. Default: the same instance. */
  connect?(storage: Storage, runtime: { clock: Clock }): Promise<Storage>;
  /** Writes malformed JSON into the stored args of a job, to test decodeError. Optional; tests skip when absent. */
  corruptJobArgs?(storage: Storage, id: string): Promise<void>;
}
