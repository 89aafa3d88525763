import type { JobRecord, NewJob } from '../job/records.js';
import type { BatchCounts } from '../flows/batch-counts.js';
import type { Dependency } from '../flows/dependency.js';
import type { JobState } from '../states/states.js';
import type { JobsCreateResult } from './contract.js';

/** A batch as stored: its counters are maintained by its members' changes, never counted from rows. */
export interface BatchRecord extends BatchCounts {
  id: string;
  description: string | null;
  /** The batch this one is nested in (it is one member of it); null for a batch of its own. */
  parentBatchId: string | null;
  /** Members: jobs and nested batches. */
  total: number;
  createdAt: Date;
  /** When every member had finished and the continuations were settled; null while it runs. */
  finishedAt: Date | null;
  /** When it was cancelled; null unless it was. */
  cancelledAt: Date | null;
}

/** A batch to create. Its total is counted by the storage from the members created with it. */
export interface NewBatch {
  id: string;
  description: string | null;
  parentBatchId: string | null;
}

/** A job of a batch or a flow, to create. */
export interface NewFlowJob {
  job: NewJob;
  /** The batch it is a member of (created in the same call, or existing: attached), or none. */
  batchId: string | null;
  /** Whether other jobs of the call depend on it: its final change settles them. */
  hasDependents: boolean;
}

/** Input of {@link FlowStorage.flowsCreate}. */
export interface FlowsCreateParams {
  batches: NewBatch[];
  /** Jobs; one that waits for parents is created `awaiting` with as many pending dependencies as it has edges. */
  jobs: NewFlowJob[];
  /** Edges: each child is one of `jobs`, each parent a job or a batch of this call. */
  dependencies: Dependency[];
  /** The caller's open transaction to join; only given to storages with `externalTransactions`. */
  transaction?: unknown;
}

/** Input of {@link FlowStorage.batchJobs}. */
export interface BatchJobsParams {
  batchId: string;
  state?: JobState;
  limit: number;
  cursor?: string | null;
}

/**
 * The operations of batches and flows (decision 46), present when `capabilities.batches` is true.
 * Every rule is core's: a member's change adds `StateChange.batch` to its batch in the same write,
 * `batchFinishes` says when a batch finishes, `dependencyIntent` what a settled edge does.
 */
export interface FlowStorage {
  /**
   * Creates batches, jobs and their dependencies in one commit: all or nothing. Members of an
   * existing batch (attached) raise its total in the same commit; an unknown batch throws
   * BatchNotFoundError and a finished one BatchFinishedError, writing nothing. Unique keys are not
   * used by batch and flow jobs (the client refuses them).
   */
  flowsCreate(params: FlowsCreateParams): Promise<JobsCreateResult>;
  /** Reads one batch. */
  batchGet(params: { id: string }): Promise<BatchRecord | null>;
  /** Batches newest first (by id), paged by cursor. Reads only. */
  batchList(params: { limit: number; cursor?: string | null }): Promise<{ batches: BatchRecord[]; nextCursor: string | null }>;
  /** A batch's own member jobs (not those of nested batches), newest first, paged by cursor. Reads only. */
  batchJobs(params: BatchJobsParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }>;
  /** The ids of the batches nested in this one, at every depth. Reads only. */
  batchDescendants(params: { id: string }): Promise<string[]>;
  /** Marks a batch (not its nested batches) cancelled; false when it does not exist. Its members are deleted by the caller, through `jobSetState`. */
  batchCancelMark(params: { id: string }): Promise<boolean>;
}
