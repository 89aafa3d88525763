import { BatchFinishedError, BatchNotFoundError, FlowInvalidError } from '../errors.js';
import type { BatchRecord, FlowsCreateParams } from './flows-contract.js';

/** The `flow` bit of a batch member's row: its changes count in its batch (decision 46). */
export const FLOW_MEMBER = 1;
/** The `flow` bit of the row of a job others depend on: its final change settles them. */
export const FLOW_PARENT = 2;

/** What a job of a batch or a flow stores for its changes to settle: `flow` bits (0 for other jobs), its batch, its pending dependencies. */
export interface FlowColumns {
  flow: number;
  batchId: string | null;
  pending: number;
}

/** What a storage writes for `flowsCreate`, worked out before it writes anything. */
export interface FlowCreationPlan {
  /** Members each batch gains (jobs and nested batches), new batches and existing ones. */
  added: Map<string, number>;
  /** The existing batches that gain members, sorted (lock them in this order, then {@link checkExistingBatches}). */
  existing: string[];
  /** Each job's flow columns, by job id. */
  columns: Map<string, FlowColumns>;
}

/**
 * Plans a `flowsCreate` for a storage, the same on every storage: how many members each batch
 * gains, which batches exist already, and each job's flow columns. A dependency whose child or
 * parent is not part of the call is a FlowInvalidError, before anything is written.
 */
export function planFlowCreation(params: FlowsCreateParams): FlowCreationPlan {
  const created = new Set(params.batches.map((b) => b.id));
  const added = new Map<string, number>();
  const member = (batchId: string | null): void => {
    if (batchId !== null) added.set(batchId, (added.get(batchId) ?? 0) + 1);
  };
  for (const batch of params.batches) member(batch.parentBatchId);
  for (const entry of params.jobs) member(entry.batchId);
  const jobIds = new Set(params.jobs.map((entry) => entry.job.id));
  const problems = params.dependencies.flatMap((d) =>
    !jobIds.has(d.childId) || !(d.parentKind === 'job' ? jobIds.has(d.parentId) : created.has(d.parentId)) ? [`dependency ${d.childId} on ${d.parentKind} ${d.parentId} is not within this creation`] : [],
  );
  if (problems.length > 0) throw new FlowInvalidError(problems);
  const pending = new Map<string, number>();
  for (const d of params.dependencies) pending.set(d.childId, (pending.get(d.childId) ?? 0) + 1);
  const columns = new Map<string, FlowColumns>(
    params.jobs.map((entry) => [
      entry.job.id,
      { flow: (entry.batchId !== null ? FLOW_MEMBER : 0) | (entry.hasDependents ? FLOW_PARENT : 0), batchId: entry.batchId, pending: pending.get(entry.job.id) ?? 0 },
    ]),
  );
  return { added, existing: [...added.keys()].filter((id) => !created.has(id)).sort(), columns };
}

/** Throws BatchNotFoundError or BatchFinishedError unless every existing batch was found (`finishedAt` by id) and has not finished. */
export function checkExistingBatches(existing: readonly string[], finishedAt: ReadonlyMap<string, unknown>): void {
  for (const id of existing) {
    if (!finishedAt.has(id)) throw new BatchNotFoundError(id);
    const at = finishedAt.get(id);
    if (at !== null && at !== undefined) throw new BatchFinishedError(id);
  }
}

/** A stored batch from a row of its columns (snake_case, times in milliseconds; numbers may be strings), for the SQL storages. */
export function batchRecordFromRow(row: Readonly<Record<string, unknown>>): BatchRecord {
  const time = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(Number(v)));
  return {
    id: row.id as string,
    description: (row.description as string | null) ?? null,
    parentBatchId: (row.parent_batch_id as string | null) ?? null,
    total: Number(row.total),
    finished: Number(row.finished),
    succeeded: Number(row.succeeded),
    failed: Number(row.failed),
    createdAt: time(row.created_at)!,
    finishedAt: time(row.finished_at),
    cancelledAt: time(row.cancelled_at),
  };
}
