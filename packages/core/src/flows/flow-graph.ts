import { FlowCycleError, FlowInvalidError } from '../errors.js';
import type { DependencyPolicy } from './dependency.js';
import { DEPENDENCY_POLICIES } from './dependency.js';

/** A step's dependencies as {@link orderFlowSteps} reads them: names, each with its policy. */
export interface FlowGraphStep {
  name: string;
  dependsOn: ReadonlyArray<{ step: string; onFailure: DependencyPolicy }>;
}

/**
 * The steps of a flow in an order where every step comes after the steps it depends on, checked:
 * names unique and non-empty, dependencies on known steps, each named once per step, policies
 * known (FlowInvalidError, every problem at once), and no circle (FlowCycleError naming one).
 */
export function orderFlowSteps<T extends FlowGraphStep>(steps: readonly T[]): T[] {
  const problems: string[] = [];
  const byName = new Map<string, T>();
  for (const [i, step] of steps.entries()) {
    if (typeof step.name !== 'string' || step.name === '') problems.push(`step ${i} has no name`);
    else if (byName.has(step.name)) problems.push(`two steps are named "${step.name}"`);
    else byName.set(step.name, step);
  }
  for (const step of steps) {
    const seen = new Set<string>();
    for (const dependency of step.dependsOn) {
      if (!byName.has(dependency.step)) problems.push(`step "${step.name}" depends on "${dependency.step}", which is not a step of this flow`);
      if (seen.has(dependency.step)) problems.push(`step "${step.name}" names "${dependency.step}" twice in dependsOn`);
      if (!DEPENDENCY_POLICIES.includes(dependency.onFailure)) {
        problems.push(`step "${step.name}": onFailure of "${dependency.step}" is ${JSON.stringify(dependency.onFailure)}, expected 'fail', 'skip' or 'run'`);
      }
      seen.add(dependency.step);
    }
  }
  if (steps.length === 0) problems.push('a flow needs at least one step');
  if (problems.length > 0) throw new FlowInvalidError(problems);

  // Depth-first, marking steps in progress: meeting one again closes a circle.
  const order: T[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (step: T): void => {
    if (done.has(step.name)) return;
    if (onPath.has(step.name)) throw new FlowCycleError([...path.slice(path.indexOf(step.name)), step.name]);
    onPath.add(step.name);
    path.push(step.name);
    for (const dependency of step.dependsOn) visit(byName.get(dependency.step)!);
    path.pop();
    onPath.delete(step.name);
    done.add(step.name);
    order.push(step);
  };
  for (const step of steps) visit(step);
  return order;
}
