import { ConfigError, FlowInvalidError } from '../errors.js';
import type { DependencyPolicy } from '../flows/dependency.js';
import { BATCH_PARAMETER, PARENTS_PARAMETER, STEP_PARAMETER } from '../flows/flow-parameters.js';
import { orderFlowSteps } from '../flows/flow-graph.js';
import type { Json } from '../job/records.js';
import type { DraftJobs, FlowDraft } from './batch-builder.js';
import { checkMemberOptions, openBatch } from './batch-builder.js';
import type { EnqueueOptions } from './enqueue-options.js';
import type { JobTarget } from './spool.js';

/** One dependency of a flow step: a step name (its policy is the step's `onParentFailure`), or a step with its own policy. */
export type FlowDependency = string | { step: string; onFailure?: DependencyPolicy };

/** One step of a flow (`spool.flow([...])`). */
export interface FlowStep<Args = unknown> {
  /** Unique within the flow; the key of this step's result in its children's `ctx.parents()`. */
  name: string;
  job: JobTarget<Args>;
  args?: Args;
  /** Enqueue options, without a unique key or a transaction; a step with dependencies cannot have a delay. */
  options?: Omit<EnqueueOptions, 'uniqueKey' | 'transaction'>;
  /** The steps this one waits for: it runs when all of them have succeeded (or their policy says otherwise). */
  dependsOn?: readonly FlowDependency[];
  /** What a parent that fails or is deleted does to this step, for dependencies that name no policy: `fail` (default), `skip` or `run`. */
  onParentFailure?: DependencyPolicy;
}

/** Options of a flow. */
export interface FlowOptions {
  /** Shown on the dashboard's flow page. */
  description?: string;
  /** The caller's open transaction to join (storages with `externalTransactions` only). */
  transaction?: unknown;
}

/** A created flow: its id (the id of its batch, which counts its progress) and each step's job id. */
export interface CreatedFlow {
  id: string;
  jobs: Record<string, string>;
}

/**
 * Adds a flow to a draft: one batch whose members are the steps, each step that has parents
 * waiting (`awaiting`) with one dependency per parent. Checks the graph first: a circle is a
 * FlowCycleError, any other problem a FlowInvalidError, before anything is built.
 */
export function planFlow(draft: FlowDraft, jobs: DraftJobs, steps: readonly FlowStep[], options: FlowOptions): CreatedFlow {
  if (!Array.isArray(steps)) throw new FlowInvalidError(['expected an array of steps']);
  const graph = steps.map((step, i) => {
    if (typeof step !== 'object' || step === null) throw new FlowInvalidError([`step ${i} is not an object`]);
    const fallback = step.onParentFailure ?? 'fail';
    const given: readonly FlowDependency[] = step.dependsOn ?? [];
    const dependsOn: Array<{ step: string; onFailure: DependencyPolicy }> = given.map((d) => (typeof d === 'string' ? { step: d, onFailure: fallback } : { step: d.step, onFailure: d.onFailure ?? fallback }));
    return { name: step.name, dependsOn, step };
  });
  const ordered = orderFlowSteps(graph);
  const batch = openBatch(draft, jobs, null, options.description === undefined ? {} : { description: options.description });
  const ids = new Map(ordered.map((node) => [node.name, jobs.newId()]));
  const parentsOf = new Set(ordered.flatMap((node) => node.dependsOn.map((d) => d.step)));
  for (const node of ordered) {
    const { step, dependsOn } = node;
    const where = `flow step "${step.name}" options`;
    checkMemberOptions(step.options, where);
    if (dependsOn.length > 0 && (step.options?.delay !== undefined || step.options?.at !== undefined)) {
      throw new ConfigError([{ path: `${where}.delay`, message: 'a step with dependencies starts when they are met; it cannot have a delay or a time' }]);
    }
    const built = jobs.build(step.job, step.args ?? null, step.options);
    const parents: Record<string, Json> = Object.fromEntries(dependsOn.map((d) => [d.step, ids.get(d.step)!]));
    const parameters: Record<string, Json> = { ...built.parameters, [BATCH_PARAMETER]: batch.id, [STEP_PARAMETER]: step.name };
    if (dependsOn.length > 0) parameters[PARENTS_PARAMETER] = parents;
    const id = ids.get(step.name)!;
    const waiting = dependsOn.length > 0;
    draft.jobs.push({
      job: {
        ...built,
        id,
        parameters,
        ...(waiting ? { state: 'awaiting' as const, runAt: null, reason: `Awaiting ${dependsOn.map((d) => d.step).join(', ')}` } : {}),
      },
      batchId: batch.id,
      hasDependents: parentsOf.has(step.name),
    });
    for (const d of dependsOn) draft.dependencies.push({ childId: id, parentId: ids.get(d.step)!, parentKind: 'job', policy: d.onFailure });
  }
  return { id: batch.id, jobs: Object.fromEntries(ids) };
}
