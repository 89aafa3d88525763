import { ConfigError } from '../errors.js';
import type { Dependency } from '../flows/dependency.js';
import { AFTER_BATCH_PARAMETER, BATCH_PARAMETER } from '../flows/flow-parameters.js';
import type { NewJob } from '../job/records.js';
import type { NewBatch, NewFlowJob } from '../storage/flows-contract.js';
import type { EnqueueOptions } from './enqueue-options.js';
import type { JobTarget } from './spool.js';

/** What a batch or a flow writes in its one storage call, gathered before the call. */
export interface FlowDraft {
  batches: NewBatch[];
  jobs: NewFlowJob[];
  dependencies: Dependency[];
}

/** How a {@link BatchBuilder} makes jobs: the client's job builder. */
export interface DraftJobs {
  build(target: unknown, args: unknown, options: EnqueueOptions | undefined): NewJob;
  /** Many jobs of one kind, their options resolved once (as `enqueueMany` does). */
  buildMany(target: unknown, argsList: readonly unknown[], options: EnqueueOptions | undefined): NewJob[];
  newId(): string;
}

/** Options of a batch: `spool.batch(fn, options)` and nested `b.batch(fn, options)`. */
export interface BatchOptions {
  /** Shown on the dashboard's batch page. */
  description?: string;
}

/** Options of a batch continuation (`b.then`). */
export interface BatchContinuationOptions extends Omit<EnqueueOptions, 'delay' | 'at' | 'uniqueKey' | 'transaction'> {
  /** `succeeded` (default): runs when every member succeeded, else is deleted; `finished`: runs once every member finished, whatever the outcome. */
  on?: 'succeeded' | 'finished';
}

/** Options of a member job: enqueue options, without a unique key or a transaction (the batch has one commit). */
export type BatchJobOptions = Omit<EnqueueOptions, 'uniqueKey' | 'transaction'>;

/**
 * What a batch's callback receives: it adds members (jobs and nested batches) and continuations.
 * Nothing is written until the callback returns; then everything is written in one commit. Each
 * method returns the new job's (or batch's) id at once.
 */
export class BatchBuilder {
  /** @internal */
  constructor(
    /** The id of the batch being built. */
    readonly id: string,
    private readonly draft: FlowDraft,
    private readonly jobs: DraftJobs,
    /** The batch this one is nested in, whose members its continuations are. */
    private readonly parentBatchId: string | null,
  ) {}

  /** Adds a job to the batch; returns its id. */
  enqueue<Args>(job: JobTarget<Args>, args: Args, options?: BatchJobOptions): string {
    return this.member(job, args, options, 'b.enqueue');
  }

  /** Adds many jobs of one kind to the batch; returns their ids in order. */
  enqueueMany<Args>(job: JobTarget<Args>, argsList: readonly Args[], options?: BatchJobOptions): string[] {
    checkMemberOptions(options, 'b.enqueueMany options');
    return this.jobs.buildMany(job, argsList, options).map((built) => this.add(built));
  }

  /** Adds a nested batch: one member of this one, which finishes when the nested batch finishes. Returns its id. */
  async batch(build: (b: BatchBuilder) => void | Promise<void>, options: BatchOptions = {}): Promise<string> {
    const nested = openBatch(this.draft, this.jobs, this.id, options);
    await build(nested);
    return nested.id;
  }

  /**
   * Adds a continuation of this batch: a job that waits until every member has finished, then runs
   * (`on: 'succeeded'` when none failed, `finished` in any case) or is deleted. It is not a member of
   * this batch; a nested batch's continuation is a member of the enclosing batch. Returns its id.
   */
  then<Args>(job: JobTarget<Args>, args: Args, options: BatchContinuationOptions = {}): string {
    const { on = 'succeeded', ...rest } = options;
    if (on !== 'succeeded' && on !== 'finished') {
      throw new ConfigError([{ path: 'b.then options.on', message: `expected 'succeeded' or 'finished', got ${JSON.stringify(on)}` }]);
    }
    checkMemberOptions(rest, 'b.then options');
    const built = this.jobs.build(job, args, rest);
    const parameters = { ...built.parameters, [AFTER_BATCH_PARAMETER]: this.id, ...(this.parentBatchId === null ? {} : { [BATCH_PARAMETER]: this.parentBatchId }) };
    const waiting: NewJob = { ...built, state: 'awaiting', runAt: null, parameters, reason: `Awaiting batch ${this.id} (${on})` };
    this.draft.jobs.push({ job: waiting, batchId: this.parentBatchId, hasDependents: false });
    this.draft.dependencies.push({ childId: waiting.id, parentId: this.id, parentKind: 'batch', policy: on === 'succeeded' ? 'skip' : 'run' });
    return waiting.id;
  }

  private member(job: unknown, args: unknown, options: BatchJobOptions | undefined, where: string): string {
    checkMemberOptions(options, `${where} options`);
    return this.add(this.jobs.build(job, args, options));
  }

  private add(built: NewJob): string {
    built.parameters = { ...built.parameters, [BATCH_PARAMETER]: this.id };
    this.draft.jobs.push({ job: built, batchId: this.id, hasDependents: false });
    return built.id;
  }
}

/** Starts a batch in a draft (nested in `parentBatchId`, or none) and answers its builder. */
export function openBatch(draft: FlowDraft, jobs: DraftJobs, parentBatchId: string | null, options: BatchOptions = {}): BatchBuilder {
  const description = options.description ?? null;
  if (description !== null && typeof description !== 'string') {
    throw new ConfigError([{ path: 'batch options.description', message: `expected a string, got ${typeof description}` }]);
  }
  const id = jobs.newId();
  draft.batches.push({ id, description, parentBatchId });
  return new BatchBuilder(id, draft, jobs, parentBatchId);
}

/** Refuses the options a job of a batch or a flow cannot have. */
export function checkMemberOptions(options: object | undefined, where: string): void {
  const given = options as { uniqueKey?: unknown; transaction?: unknown } | undefined;
  const problems = [
    ...(given?.uniqueKey !== undefined ? [{ path: `${where}.uniqueKey`, message: 'a job of a batch or a flow cannot have a unique key: the batch would count a job that was not created' }] : []),
    ...(given?.transaction !== undefined ? [{ path: `${where}.transaction`, message: "a batch or a flow is written in one commit: give the transaction to the batch's or flow's own options" }] : []),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
}
