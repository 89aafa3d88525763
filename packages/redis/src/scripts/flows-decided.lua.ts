import type { DependencyParentKind } from '@spool/core';
import { DEPENDENCY_POLICIES, DEPENDENCY_TEXTS, JOB_STATES, STATE_FACTS, batchCountsDelta, batchFinishes, causeVariant, dependencyError, dependencyIntent } from '@spool/core';

import { luaFunction, luaString } from './decided.lua.js';

/**
 * The rules of batches and flows (decision 46) as Lua tables, generated from core so that the
 * scripts decide nothing of their own; `flow_rules()` returns them (built once per script call):
 *   BATCH_DELTA[from][to]      what a member's move adds to its batch (`batchCountsDelta`), absent for nothing
 *   BATCH_FINISH[any_failed]   how a batch whose every member finished ends, and what it adds to its parent (`batchFinishes`),
 *                              read by batch_finish(total, finished, failed, finished_at)
 *   DEPENDS[parent_state][policy][last]  what a settled edge does to its child (`dependencyIntent`):
 *                              `last` is true when it was the child's last pending dependency; false means nothing
 *   DEP_TEXT, DEP_ERROR_JSON, DEP_DATA_JSON  the child's history reason, error and data, of (kind, parent id, parent state)
 */
export function flowsDecidedLua(): string {
  const body = [batchDeltaTable(), batchFinishTable(), dependsTable(), dependencyTexts()].join('\n').replace(/^/gm, '    ');
  const names = ['BATCH_DELTA', 'BATCH_FINISH', 'batch_finish', 'DEPENDS', 'DEP_TEXT', 'DEP_ERROR_JSON', 'DEP_DATA_JSON'];
  return `local FLOW_RULES = nil
-- The rules of batches and flows (flows-decided.lua.ts), built on first use: a script that moves
-- no job of a batch or flow builds none.
local function flow_rules()
  if FLOW_RULES == nil then
${body}
    FLOW_RULES = { ${names.map((n) => `${n} = ${n}`).join(', ')} }
  end
  return FLOW_RULES
end`;
}

function batchDeltaTable(): string {
  const rows = JOB_STATES.flatMap((from) => {
    const tos = JOB_STATES.flatMap((to) => {
      const delta = batchCountsDelta(from, to);
      return delta === null ? [] : [`${to} = { f = ${delta.finished}, s = ${delta.succeeded}, x = ${delta.failed} }`];
    });
    return tos.length === 0 ? [] : [`  ${from} = { ${tos.join(', ')} }`];
  });
  return `local BATCH_DELTA = {\n${rows.join(',\n')}\n}`;
}

/** Asks core how a batch of one finished member ends, with and without a failure. */
function batchFinishTable(): string {
  const row = (failed: number): string => {
    const finish = batchFinishes({ total: 1, finished: 1, succeeded: 1 - failed, failed, finishedAt: null });
    if (finish === null) throw new Error('core says a batch whose every member finished does not finish');
    const d = finish.parentDelta;
    return `[${failed === 1}] = { state = '${finish.state}', f = ${d.finished}, s = ${d.succeeded}, x = ${d.failed} }`;
  };
  // When a batch finishes is the one comparison left to Lua; a test holds it to batchFinishes.
  return `local BATCH_FINISH = { ${row(0)}, ${row(1)} }
-- batchFinishes: nil, or how a batch with these counters ends (state) and what it adds to its parent (f, s, x).
local function batch_finish(total, finished, failed, finished_at)
  if finished_at ~= '' or total == 0 or finished < total then return nil end
  return BATCH_FINISH[failed > 0]
end`;
}

const TEXT_NAMES = Object.keys(DEPENDENCY_TEXTS) as Array<keyof typeof DEPENDENCY_TEXTS>;

/** One settled edge's decision as Lua: the child's new state, its cause's variant, its text, whether it carries an error. */
function intentLua(parentState: (typeof JOB_STATES)[number], policy: (typeof DEPENDENCY_POLICIES)[number], pendingAfter: number): string {
  const [kind, id] = ['job' as DependencyParentKind, '@@id@@'];
  const intent = dependencyIntent(kind, id, parentState, policy, pendingAfter);
  if (intent === null) return 'false';
  const text = TEXT_NAMES.find((name) => DEPENDENCY_TEXTS[name](kind, id, parentState) === intent.reason);
  if (text === undefined) throw new Error(`core's dependency reason "${intent.reason}" is none of DEPENDENCY_TEXTS`);
  const withError = intent.cause.kind === 'parent' && intent.cause.error !== undefined;
  return `{ to = '${intent.to}', variant = ${luaString(causeVariant(intent.cause))}, text = '${text}', err = ${withError} }`;
}

/** Only final parent states settle edges: a parent's change settles them when its shape says `settle`. */
function dependsTable(): string {
  const rows = JOB_STATES.filter((s) => STATE_FACTS[s].finished).map((state) => {
    const policies = DEPENDENCY_POLICIES.map((policy) => `${policy} = { [true] = ${intentLua(state, policy, 0)}, [false] = ${intentLua(state, policy, 1)} }`);
    return `  ${state} = { ${policies.join(', ')} }`;
  });
  return `local DEPENDS = {\n${rows.join(',\n')}\n}`;
}

/**
 * The texts as Lua functions of (kind, parent id, parent state). The JSON ones insert their parts
 * as they are: callers pass the id JSON-escaped (without quotes); kinds and states need no escaping.
 */
function dependencyTexts(): string {
  const lines = ['local DEP_TEXT = {'];
  for (const name of TEXT_NAMES) lines.push(`  ${name} = ${luaFunction(3, DEPENDENCY_TEXTS[name])},`);
  lines.push('}');
  lines.push(`local DEP_ERROR_JSON = ${luaFunction(3, (kind, id, state) => JSON.stringify(dependencyError(kind as DependencyParentKind, id!, state as (typeof JOB_STATES)[number])))}`);
  lines.push(`local DEP_DATA_JSON = ${luaFunction(2, (kind, id) => JSON.stringify(dependencyIntent(kind as DependencyParentKind, id!, 'succeeded', 'run', 0)!.data))}`);
  return lines.join('\n');
}
