import type { ErrorRecord } from './records.js';

const MAX_STACK = 8_000;
const MAX_MESSAGE = 4_000;
const MAX_CAUSE_DEPTH = 5;

/**
 * Turns anything thrown into a stored error record: name, message, code, stack and cause chain.
 * Never throws: a handler can throw a value whose every property access fails (a getter that
 * throws, a revoked Proxy, a null-prototype object with cycles), and its outcome must still be
 * recorded, or the job would run again and again until it became a poison pill.
 */
export function toErrorRecord(error: unknown, depth = 0): ErrorRecord {
  try {
    return describeThrown(error, depth);
  } catch (failure) {
    return { name: 'UnreadableError', message: `The thrown value could not be read (${textOf(failure)}).` };
  }
}

function describeThrown(error: unknown, depth: number): ErrorRecord {
  if (error instanceof Error) {
    const record: ErrorRecord = {
      name: field(() => error.name) ?? 'Error',
      message: truncate(field(() => error.message) ?? '', MAX_MESSAGE),
    };
    const code = field(() => (error as { code?: unknown }).code);
    if (code !== undefined) record.code = code;
    const stack = field(() => error.stack);
    if (stack) record.stack = truncate(stack, MAX_STACK);
    const cause = read(() => error.cause);
    if (cause !== undefined && depth < MAX_CAUSE_DEPTH) record.cause = toErrorRecord(cause, depth + 1);
    return record;
  }
  return { name: 'NonError', message: truncate(textOf(error), MAX_MESSAGE) };
}

/** Rebuilds an Error from a stored record (for handlers that read a parent's error). */
export function fromErrorRecord(record: ErrorRecord): Error {
  const error = new Error(record.message, record.cause ? { cause: fromErrorRecord(record.cause) } : undefined);
  error.name = record.name;
  if (record.code !== undefined) (error as Error & { code?: string }).code = record.code;
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
}

/**
 * Any value as text, without throwing: a string as it is, else JSON, else `String()`, else its tag
 * (JSON fails on cycles and BigInt, `String()` on null-prototype objects).
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Cyclic, a BigInt, or a toJSON that throws: try the next form.
  }
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unreadable value]';
    }
  }
}

/** A property read that may throw (a getter, a Proxy trap): undefined when it does. */
function read(get: () => unknown): unknown {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** A property as text, if it is a string or a number; undefined otherwise or when reading it throws. */
function field(get: () => unknown): string | undefined {
  const value = read(get);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return undefined;
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut between the two halves of a surrogate pair: half a pair is a lone surrogate, which a
  // storage would replace by U+FFFD.
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}...`;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
