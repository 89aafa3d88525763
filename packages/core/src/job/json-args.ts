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
  if (value === undefined) return null;
  assertPlainJson(value, root, new Set());
  const text = JSON.stringify(value);
  const bytes = text.length <= maxBytes / 4 ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw new ArgsTooLargeError(bytes, maxBytes);
  return value as Json;
}

function assertPlainJson(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidArgsError(path, `${value} is not a finite number; JSON cannot hold it`);
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
  if (seen.has(object)) throw new InvalidArgsError(path, 'the value refers to itself (a cycle); JSON cannot hold it');
  seen.add(object);
  if (Array.isArray(object)) {
    object.forEach((item, index) => assertPlainJson(item, `${path}[${index}]`, seen));
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'unknown class';
      const hint = kind === 'Date' ? '; pass date.toISOString() and parse it in the handler' : '; pass a plain object';
      throw new InvalidArgsError(path, `an instance of ${kind} is not plain JSON and would not survive storage${hint}`);
    }
    for (const key of Object.keys(object)) {
      const child = (object as Record<string, unknown>)[key];
      if (child !== undefined) assertPlainJson(child, `${path}.${key}`, seen);
    }
  }
  seen.delete(object);
}
