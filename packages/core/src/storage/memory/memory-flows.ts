import { checkExistingBatches, planFlowCreation } from '../flow-creation.js';
import type { BatchCounts } from '../../flows/batch-counts.js';
import { addBatchCounts, batchFinishes } from '../../flows/batch-counts.js';
import type { DependencyParentKind } from '../../flows/dependency.js';
import { dependencyIntent } from '../../flows/dependency.js';
import type { JobRecord, NewJob } from '../../job/records.js';
import type { ChangeIntent } from '../../states/change-intents.js';
import type { StateChange } from '../../states/state-change.js';
import type { JobState } from '../../states/states.js';
import type { JobsCreateResult } from '../contract.js';
import type { BatchJobsParams, BatchRecord, FlowStorage, FlowsCreateParams } from '../flows-contract.js';
import { decodeCursor, encodeCursor } from '../monitoring-helpers.js';
import { storableNewJobs } from '../storable-text.js';
import { MemoryEvents } from './memory-events.js';
import type { MemoryJobChanges } from './memory-job-changes.js';
import type { MemoryBatch, MemoryJob, MemoryState } from './memory-state.js';
import { toRecord } from './memory-state.js';

/** The host a {@link MemoryFlows} writes through: the storage's time, its guard and its events. */
export interface MemoryFlowsHost {
  now(): number;
  guard(): void;
  emit(events: MemoryEvents): void;
  /** Refuses jobs that do not fit their bounded queues, before anything is written. */
  checkRoom(jobs: readonly NewJob[]): void;
}

/**
 * Batches and flows in the memory storage: creation in one step, and the settling that a member's
 * or a parent's change starts (batch counters, dependencies), as core decides.
 */
export class MemoryFlows implements FlowStorage {
  constructor(
    private readonly state: MemoryState,
    private readonly changes: MemoryJobChanges,
    private readonly host: MemoryFlowsHost,
  ) {}

  async flowsCreate(params: FlowsCreateParams): Promise<JobsCreateResult> {
    this.host.guard();
    const now = this.host.now();
    const jobs = storableNewJobs(params.jobs.map((entry) => entry.job));
    const { added, existing, columns } = planFlowCreation(params);
    checkExistingBatches(existing, new Map(existing.flatMap((id) => {
      const batch = this.state.batches.get(id);
      return batch === undefined ? [] : [[id, batch.finishedAt] as const];
    })));
    // A batch is an enqueue like any other: all of it fits its bounded queues, or none is written.
    this.host.checkRoom(jobs);
    for (const batch of params.batches) {
      this.state.batches.set(batch.id, {
        ...batch,
        total: 0,
        finished: 0,
        succeeded: 0,
        failed: 0,
        createdAt: now,
        finishedAt: null,
        cancelledAt: null,
        jobs: new Set(),
        children: new Set(),
      });
    }
    for (const [id, count] of added) this.state.batches.get(id)!.total += count;
    for (const batch of params.batches) if (batch.parentBatchId !== null) this.state.batches.get(batch.parentBatchId)!.children.add(batch.id);
    for (const dependency of params.dependencies) {
      const list = this.state.dependents.get(dependency.parentId) ?? [];
      list.push({ ...dependency });
      this.state.dependents.set(dependency.parentId, list);
    }
    const events = new MemoryEvents();
    const results: JobsCreateResult['jobs'] = params.jobs.map((entry, i) => {
      const state = this.changes.insert(jobs[i]!, now, events);
      const job = this.state.jobs.get(entry.job.id)!;
      job.flow = { batchId: entry.batchId, pending: columns.get(job.id)!.pending, hasDependents: entry.hasDependents };
      if (entry.batchId !== null) this.state.batches.get(entry.batchId)!.jobs.add(job.id);
      return { id: job.id, created: true, state };
    });
    this.host.emit(events);
    return { jobs: results };
  }

  async batchGet(params: { id: string }): Promise<BatchRecord | null> {
    this.host.guard();
    const batch = this.state.batches.get(params.id);
    return batch === undefined ? null : toBatchRecord(batch);
  }

  async batchList(params: { limit: number; cursor?: string | null }): Promise<{ batches: BatchRecord[]; nextCursor: string | null }> {
    this.host.guard();
    const after = decodeCursor(params.cursor);
    const matching = [...this.state.batches.values()].filter((b) => after === null || b.id < after).sort((a, b) => (a.id < b.id ? 1 : -1));
    const page = matching.slice(0, params.limit);
    return { batches: page.map(toBatchRecord), nextCursor: matching.length > params.limit ? encodeCursor(page.at(-1)!.id) : null };
  }

  async batchJobs(params: BatchJobsParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    this.host.guard();
    const after = decodeCursor(params.cursor);
    const ids = [...(this.state.batches.get(params.batchId)?.jobs ?? [])].filter((id) => after === null || id < after).sort().reverse();
    const matching = ids.map((id) => this.state.jobs.get(id)).filter((job): job is MemoryJob => job !== undefined && (params.state === undefined || job.state === params.state));
    const page = matching.slice(0, params.limit);
    return { jobs: page.map((job) => toRecord(job)), nextCursor: matching.length > params.limit ? encodeCursor(page.at(-1)!.id) : null };
  }

  async batchDescendants(params: { id: string }): Promise<string[]> {
    this.host.guard();
    const out: string[] = [];
    const visit = (id: string): void => {
      for (const child of this.state.batches.get(id)?.children ?? []) {
        out.push(child);
        visit(child);
      }
    };
    visit(params.id);
    return out;
  }

  async batchCancelMark(params: { id: string }): Promise<boolean> {
    this.host.guard();
    const batch = this.state.batches.get(params.id);
    if (batch === undefined) return false;
    batch.cancelledAt ??= this.host.now();
    return true;
  }

  /**
   * What a job of a batch or a flow adds to its change, in the same step: its batch's counters
   * (`change.batch`) and, once it has finished, its dependents. Called by the job's transition.
   */
  settle(job: MemoryJob, change: StateChange, now: number, move: (job: MemoryJob, intent: ChangeIntent) => void): void {
    const flow = job.flow!;
    if (change.batch !== null && flow.batchId !== null) this.count(flow.batchId, change.batch, now, move);
    if (change.settleContinuations && flow.hasDependents) this.settleDependents('job', job.id, job.state, move);
  }

  /** Adds a member's change to a batch; a batch that finishes settles its dependents and counts in its parent. */
  private count(batchId: string, delta: BatchCounts, now: number, move: (job: MemoryJob, intent: ChangeIntent) => void): void {
    const batch = this.state.batches.get(batchId);
    if (batch === undefined) return;
    addBatchCounts(batch, delta);
    const finish = batchFinishes(batch);
    if (finish === null) return;
    batch.finishedAt = now;
    this.settleDependents('batch', batch.id, finish.state, move);
    if (batch.parentBatchId !== null) this.count(batch.parentBatchId, finish.parentDelta, now, move);
  }

  /** Settles every dependency on a parent that has just finished in `parentState`, as core decides. */
  private settleDependents(kind: DependencyParentKind, parentId: string, parentState: JobState, move: (job: MemoryJob, intent: ChangeIntent) => void): void {
    const dependencies = this.state.dependents.get(parentId);
    if (dependencies === undefined) return;
    this.state.dependents.delete(parentId);
    for (const dependency of dependencies) {
      const child = this.state.jobs.get(dependency.childId);
      if (child?.flow === undefined || child.state !== 'awaiting') continue;
      child.flow.pending--;
      const intent = dependencyIntent(kind, parentId, parentState, dependency.policy, child.flow.pending);
      if (intent !== null) move(child, intent);
    }
  }

}

function toBatchRecord(batch: MemoryBatch): BatchRecord {
  return {
    id: batch.id,
    description: batch.description,
    parentBatchId: batch.parentBatchId,
    total: batch.total,
    finished: batch.finished,
    succeeded: batch.succeeded,
    failed: batch.failed,
    createdAt: new Date(batch.createdAt),
    finishedAt: batch.finishedAt === null ? null : new Date(batch.finishedAt),
    cancelledAt: batch.cancelledAt === null ? null : new Date(batch.cancelledAt),
  };
}
