import type { ContinuationOn } from '@spool/core';
import {
  CLAIM_NOW_INTENT,
  CONTINUATION_TEXTS,
  JOB_STATES,
  PROMOTION_INTENT,
  RESCUE_TEXTS,
  allChangeShapes,
  continuationOutcome,
  poisonError,
  uniqueKeyReleasedReason,
} from '@spool/core';

/**
 * The rules the Lua scripts follow, generated from core's TypeScript so that Lua decides nothing of
 * its own: the shape of every change (`SHAPES`, from `decideStateChange`), what a parent's change
 * does to its continuations (`CONTINUATIONS`, from `continuationOutcome`), and the texts of
 * history entries and errors that a script builds from parts it reads in Redis (`TEXT`).
 */
export function decidedLua(): string {
  return [shapesTable(), continuationsTable(), textFunctions()].join('\n');
}

/** A Lua string literal of `text`. */
export function luaString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/**
 * `SHAPES[variant][from][to]`: what a change writes, one field per decision (see ChangeShape). A
 * script names the variant of its cause; a move with no shape is a bug and raises an error.
 */
function shapesTable(): string {
  const tree = new Map<string, Map<string, string[]>>();
  for (const [key, shape] of allChangeShapes()) {
    const [variant] = key.split('|') as [string];
    const fields = [
      `fin = '${shape.finishedAt}'`,
      `run = '${shape.runAt}'`,
      `exp = ${shape.expires}`,
      `att = '${shape.attempts}'`,
      `res = '${shape.rescues}'`,
      `prog = '${shape.progress}'`,
      `result = '${shape.result}'`,
      `err = '${shape.error}'`,
      // Absent when the change keeps the mark (nearly every shape): a smaller table to build per script.
      ...(shape.deadLetter === 'keep' ? [] : [`dl = '${shape.deadLetter}'`]),
      `lease = '${shape.lease}'`,
      `back = ${shape.queuePosition === 'back'}`,
      `ukey = '${shape.uniqueKey}'`,
      `settle = ${shape.settleContinuations}`,
      `lim = '${shape.limits}'`,
      `series = ${shape.series === null ? 'nil' : `'${shape.series}'`}`,
    ];
    const froms = tree.get(variant) ?? new Map<string, string[]>();
    tree.set(variant, froms);
    const tos = froms.get(shape.from) ?? [];
    froms.set(shape.from, tos);
    tos.push(`${shape.to} = { ${fields.join(', ')} }`);
  }
  const variants = [...tree].map(([variant, froms]) => {
    const rows = [...froms].map(([from, tos]) => `    ${from} = {\n      ${tos.join(',\n      ')}\n    }`);
    return `  [${luaString(variant)}] = {\n${rows.join(',\n')}\n  }`;
  });
  return `local SHAPES = {\n${variants.join(',\n')}\n}`;
}

/** `CONTINUATIONS[parent_state][on]`: 'release', 'cancel' or 'wait'. */
function continuationsTable(): string {
  const ons: ContinuationOn[] = ['succeeded', 'failed', 'finished'];
  const rows = JOB_STATES.map((state) => `  ${state} = { ${ons.map((on) => `${on} = '${continuationOutcome(state, on)}'`).join(', ')} }`);
  return `local CONTINUATIONS = {\n${rows.join(',\n')}\n}`;
}

/** The texts, as Lua functions of their parts (strings), made by calling core's functions with markers. */
function textFunctions(): string {
  const texts: Array<[string, number, (...parts: string[]) => string]> = [
    ['released', 2, CONTINUATION_TEXTS.released],
    ['cancelled', 3, CONTINUATION_TEXTS.cancelled],
    ['already_released', 2, CONTINUATION_TEXTS.alreadyReleased],
    ['already_cancelled', 3, CONTINUATION_TEXTS.alreadyCancelled],
    ['rescue_returned', 1, RESCUE_TEXTS.returned],
    ['poisoned', 1, RESCUE_TEXTS.poisoned],
    // Its part goes into JSON unescaped: a number only (the rescue count).
    ['poison_error_json', 1, (rescues) => JSON.stringify(poisonError(rescues))],
    ['key_released', 3, uniqueKeyReleasedReason],
  ];
  const lines = ['local TEXT = {', `  promotion = ${luaString(PROMOTION_INTENT.reason)},`, `  claim_now = ${luaString(CLAIM_NOW_INTENT.reason)},`];
  for (const [name, arity, text] of texts) lines.push(`  ${name} = ${luaFunction(arity, text)},`);
  lines.push('}');
  return lines.join('\n');
}

/**
 * A Lua function of `arity` string parts that returns what `text` returns for them. Each part is
 * passed as a marker and the result split at the markers, so a text that reorders or repeats its
 * parts is still generated right. The parts are inserted as they are: a text that escapes its parts
 * (JSON) is generated right only for parts that need no escaping.
 */
export function luaFunction(arity: number, text: (...parts: string[]) => string): string {
  const params = Array.from({ length: arity }, (_, i) => `p${i + 1}`);
  const markers = params.map((p) => `@@${p}@@`);
  const pieces = text(...markers).split(/(@@p\d+@@)/);
  const expression = pieces
    .filter((piece) => piece !== '')
    .map((piece) => (markers.includes(piece) ? piece.slice(2, -2) : luaString(piece)))
    .join(' .. ');
  return `function(${params.join(', ')}) return ${expression} end`;
}
