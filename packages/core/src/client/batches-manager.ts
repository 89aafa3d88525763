import { BatchNotFoundError, CapabilityMissingError } from '../errors.js';
import type { JobRecord, NewJob } from '../job/records.js';
import type { JobState } from '../states/states.js';
import { JOB_STATES, STATE_FACTS } from '../states/states.js';
import type { JobsCreateResult, Storage } from '../storage/contract.js';
import type { BatchRecord, FlowStorage } from '../storage/flows-contract.js';
import type { BatchBuilder, BatchOptions, DraftJobs, FlowDraft } from './batch-builder.js';
import { BatchBuilder as Builder, openBatch } from './batch-builder.js';
import type { CreatedFlow, FlowOptions, FlowStep } from './flow-planner.js';
import { planFlow } from './flow-planner.js';

/** What a {@link BatchesManager} works with: built by `Spool`. */
export interface BatchesHost {
  storage: Storage;
  init(): Promise<void>;
  jobs: DraftJobs;
  /** Writes the jobs through the client's one path (payloads, telemetry, events), with `send` as the storage call. */
  write(jobs: NewJob[], send: (jobs: NewJob[]) => Promise<JobsCreateResult>): Promise<string[]>;
}

/** Options of `spool.batch(fn, options)`. */
export interface CreateBatchOptions extends BatchOptions {
  /** The caller's open transaction to join (storages with `externalTransactions` only). */
  transaction?: unknown;
}

/** A batch with its progress, as `spool.batches.get` answers it. */
export interface BatchView extends BatchRecord {
  /** Members that have not finished. */
  pending: number;
  /** `running` until every member finished, then `succeeded` (none failed) or `failed`; `cancelled` once cancelled. */
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
}

/** Page size of a cancellation's deletes. */
const CANCEL_PAGE = 500;

/**
 * Batches and flows (docs/batches-and-flows.md): create them in one commit, attach jobs, read
 * their progress from maintained counters, list their jobs, cancel them.
 */
export class BatchesManager {
  constructor(private readonly host: BatchesHost) {}

  /**
   * Creates a batch: the callback adds members and continuations; when it returns, every job of
   * the batch is written in one commit (all or none). Returns the batch id.
   */
  async create(build: (b: BatchBuilder) => void | Promise<void>, options: CreateBatchOptions = {}): Promise<string> {
    const flows = this.flows();
    const { transaction, ...batchOptions } = options;
    const draft = emptyDraft();
    const batch = openBatch(draft, this.host.jobs, null, batchOptions);
    await build(batch);
    await this.write(flows, draft, transaction);
    return batch.id;
  }

  /** Adds members (and continuations) to an existing batch that has not finished, in one commit; returns the ids of the jobs written. */
  async attach(batchId: string, build: (b: BatchBuilder) => void | Promise<void>, options: { transaction?: unknown } = {}): Promise<string[]> {
    const flows = this.flows();
    await this.host.init();
    const record = await flows.batchGet({ id: batchId });
    if (record === null) throw new BatchNotFoundError(batchId);
    const draft = emptyDraft();
    await build(new Builder(batchId, draft, this.host.jobs, record.parentBatchId));
    return this.write(flows, draft, options.transaction);
  }

  /**
   * Creates a flow: named steps with `dependsOn`, written in one commit. A circle of dependencies
   * is a FlowCycleError before anything is written. Returns the flow's id and each step's job id.
   */
  async flow(steps: readonly FlowStep[], options: FlowOptions = {}): Promise<CreatedFlow> {
    const flows = this.flows();
    const draft = emptyDraft();
    const created = planFlow(draft, this.host.jobs, steps, options);
    await this.write(flows, draft, options.transaction);
    return created;
  }

  /** A batch (or a flow) with its progress, or null when it does not exist. */
  async get(id: string): Promise<BatchView | null> {
    const flows = this.flows();
    await this.host.init();
    const record = await flows.batchGet({ id });
    return record === null ? null : batchView(record);
  }

  /** Batches and flows, newest first. */
  async list(params: { limit?: number; cursor?: string | null } = {}): Promise<{ batches: BatchView[]; nextCursor: string | null }> {
    const flows = this.flows();
    await this.host.init();
    const page = await flows.batchList({ limit: params.limit ?? 50, cursor: params.cursor ?? null });
    return { batches: page.batches.map(batchView), nextCursor: page.nextCursor };
  }

  /** A batch's own jobs (not those of its nested batches), newest first, optionally in one state. */
  async jobs(id: string, params: { state?: JobState; limit?: number; cursor?: string | null } = {}): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const flows = this.flows();
    await this.host.init();
    return flows.batchJobs({ batchId: id, limit: params.limit ?? 50, cursor: params.cursor ?? null, ...(params.state ? { state: params.state } : {}) });
  }

  /** The ids of the batches nested in this one, at every depth. */
  async nested(id: string): Promise<string[]> {
    const flows = this.flows();
    await this.host.init();
    return flows.batchDescendants({ id });
  }

  /**
   * Cancels a batch and its nested batches: marks them cancelled, deletes their waiting jobs and
   * deletes (aborting) their running ones, each through the ordinary delete, so that the batch's
   * counters, its continuations and the jobs' dependents are settled as for any delete. Returns
   * how many jobs were deleted.
   */
  async cancel(id: string, reason = 'Batch cancelled'): Promise<{ deleted: number }> {
    const flows = this.flows();
    await this.host.init();
    if (!(await flows.batchCancelMark({ id }))) throw new BatchNotFoundError(id);
    const batches = [id, ...(await flows.batchDescendants({ id }))];
    for (const nested of batches.slice(1)) await flows.batchCancelMark({ id: nested });
    const unfinished = JOB_STATES.filter((s) => !STATE_FACTS[s].finished);
    let deleted = 0;
    for (const batchId of batches) {
      let cursor: string | null = null;
      do {
        const page: { jobs: JobRecord[]; nextCursor: string | null } = await flows.batchJobs({ batchId, limit: CANCEL_PAGE, cursor });
        for (const job of page.jobs) {
          if (STATE_FACTS[job.state].finished) continue;
          const result = await this.host.storage.jobSetState({ id: job.id, expected: unfinished, state: 'deleted', reason, data: { batchId: id } });
          if (result.ok) deleted++;
        }
        cursor = page.nextCursor;
      } while (cursor !== null);
    }
    return { deleted };
  }

  private flows(): FlowStorage {
    const { storage } = this.host;
    if (!storage.capabilities.batches || storage.flows === undefined) {
      throw new CapabilityMissingError('batches', `the ${storage.kind} storage`, 'Batches and flows');
    }
    return storage.flows;
  }

  private async write(flows: FlowStorage, draft: FlowDraft, transaction: unknown): Promise<string[]> {
    if (transaction !== undefined && !this.host.storage.capabilities.externalTransactions) {
      throw new CapabilityMissingError('externalTransactions', `the ${this.host.storage.kind} storage`, 'Creating a batch inside your transaction');
    }
    return this.host.write(
      draft.jobs.map((entry) => entry.job),
      (jobs) =>
        flows.flowsCreate({
          batches: draft.batches,
          jobs: draft.jobs.map((entry, i) => ({ ...entry, job: jobs[i]! })),
          dependencies: draft.dependencies,
          ...(transaction === undefined ? {} : { transaction }),
        }),
    );
  }
}

function emptyDraft(): FlowDraft {
  return { batches: [], jobs: [], dependencies: [] };
}

function batchView(record: BatchRecord): BatchView {
  const status = record.cancelledAt !== null ? 'cancelled' : record.finishedAt === null ? 'running' : record.failed === 0 ? 'succeeded' : 'failed';
  return { ...record, pending: record.total - record.finished, status };
}
