import type { ErrorRecord } from './records.js';

const MAX_STACK = 8_000;
const MAX_MESSAGE = 4_000;
const MAX_CAUSE_DEPTH = 5;

/** Turns anything thrown into a stored error record: name, message, code, stack and cause chain. */
export function toErrorRecord(error: unknown, depth = 0): ErrorRecord {
  if (error instanceof Error) {
    const record: ErrorRecord = { name: error.name, message: truncate(error.message, MAX_MESSAGE) };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') record.code = String(code);
    if (error.stack) record.stack = truncate(error.stack, MAX_STACK);
    if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) record.cause = toErrorRecord(error.cause, depth + 1);
    return record;
  }
  let message: string;
  try {
    message = typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  } catch {
    message = String(error);
  }
  return { name: 'NonError', message: truncate(message, MAX_MESSAGE) };
}

/** Rebuilds an Error from a stored record (for handlers that read a parent's error). */
export function fromErrorRecord(record: ErrorRecord): Error {
  const error = new Error(record.message, record.cause ? { cause: fromErrorRecord(record.cause) } : undefined);
  error.name = record.name;
  if (record.code !== undefined) (error as Error & { code?: string }).code = record.code;
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
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
