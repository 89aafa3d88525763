import { types } from 'node:util';

import { ArgsTooLargeError, InvalidArgsError } from '../errors.js';
import type { Json } from './records.js';

/** Default limit on the size of a job's arguments as JSON: 512 KiB. */
export const DEFAULT_MAX_ARGS_BYTES = 512 * 1024;

/**
 * Checks that a value is plain JSON (no functions, symbols, BigInt, cycles, non-finite numbers or
 * class instances such as Date or Map, which JSON would silently change) and within `maxBytes`.
 * Properties whose value is `undefined` are dropped, as JSON does. Returns the value as JSON.
 */
export function toJsonArgs(value: unknown, maxBytes: number, root = 'args'): Json {
  return toJsonText(value, maxBytes, root).value;
}

/** {@link toJsonArgs}, with the JSON text it checked (`'null'` for undefined). */
export function toJsonText(value: unknown, maxBytes: number, root = 'args'): { value: Json; text: string } {
  if (value === undefined) return { value: null, text: 'null' };
  let text: string;
  try {
    assertPlainJson(value, root, new Set(), 0);
    text = JSON.stringify(value);
  } catch (error) {
    if (error instanceof InvalidArgsError) throw error;
    // A getter that throws, or a value JSON cannot walk: say so in the typed error.
    throw new InvalidArgsError(root, `the value cannot be read as JSON (${error instanceof Error ? error.message : 'unknown error'})`);
  }
  const bytes = text.length <= maxBytes / 4 ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw new ArgsTooLargeError(bytes, maxBytes);
  return { value: value as Json, text };
}

/** Deepest nesting accepted: far beyond any real argument, well before the stack runs out. */
export const MAX_ARGS_DEPTH = 200;

function assertPlainJson(value: unknown, path: string, seen: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidArgsError(path, `${value} is not a finite number; JSON cannot hold it`);
      if (Object.is(value, -0)) throw new InvalidArgsError(path, '-0 becomes 0 in JSON; pass 0');
      return;
    case 'bigint':
      throw new InvalidArgsError(path, 'a BigInt cannot be stored as JSON; pass it as a string');
    case 'function':
      throw new InvalidArgsError(path, 'a function cannot be stored; pass the data it needs instead');
    case 'symbol':
      throw new InvalidArgsError(path, 'a symbol cannot be stored as JSON');
    case 'undefined':
      throw new InvalidArgsError(path, 'undefined inside an array becomes null in JSON; use null');
    case 'object':
      break;
  }
  if (value === null) return;
  const object = value as object;
  if (types.isProxy(object)) throw new InvalidArgsError(path, 'a Proxy is not plain JSON; pass a plain copy of its data');
  if (depth >= MAX_ARGS_DEPTH) throw new InvalidArgsError(path, `arguments nest deeper than ${MAX_ARGS_DEPTH} levels`);
  if (seen.has(object)) throw new InvalidArgsError(path, 'the value refers to itself (a cycle); JSON cannot hold it');
  seen.add(object);
  if (Object.getOwnPropertySymbols(object).length > 0) throw new InvalidArgsError(path, 'a symbol key is dropped by JSON; use a string key');
  if (Array.isArray(object)) {
    for (let index = 0; index < object.length; index++) {
      if (!Object.hasOwn(object, index)) throw new InvalidArgsError(`${path}[${index}]`, 'a hole in a sparse array becomes null in JSON; fill it');
      assertPlainJson(object[index], `${path}[${index}]`, seen, depth + 1);
    }
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'unknown class';
      const hint = kind === 'Date' ? '; pass date.toISOString() and parse it in the handler' : '; pass a plain object';
      throw new InvalidArgsError(path, `an instance of ${kind} is not plain JSON and would not survive storage${hint}`);
    }
    for (const key of Object.keys(object)) {
      const child = (object as Record<string, unknown>)[key];
      if (child !== undefined) assertPlainJson(child, `${path}.${key}`, seen, depth + 1);
    }
  }
  seen.delete(object);
}
