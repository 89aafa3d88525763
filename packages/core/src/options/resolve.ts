import type { ConfigProblem } from '../errors.js';
import { ConfigError } from '../errors.js';
import { describe, parseDuration } from './duration.js';

/** How one option is checked and what it defaults to. */
export type OptionRule =
  | { kind: 'duration'; default?: number; min?: number; optional?: boolean }
  | { kind: 'integer'; default?: number; min?: number; max?: number; optional?: boolean }
  | { kind: 'number'; default?: number; min?: number; max?: number; optional?: boolean }
  | { kind: 'string'; default?: string; optional?: boolean; pattern?: RegExp; patternHint?: string }
  | { kind: 'boolean'; default?: boolean; optional?: boolean }
  | { kind: 'oneOf'; values: readonly string[]; default?: string; optional?: boolean }
  | { kind: 'stringList'; default?: readonly string[]; optional?: boolean; nonEmpty?: boolean }
  | { kind: 'date'; optional?: boolean }
  | { kind: 'function'; optional?: boolean }
  | { kind: 'any'; default?: unknown; optional?: boolean; check?: (value: unknown) => string | null };

/** A declarative description of an options object: one rule per key. */
export type OptionsSchema = Record<string, OptionRule>;

/**
 * Resolves user options against a schema: rejects unknown keys (suggesting the nearest known one),
 * applies defaults, converts durations to milliseconds, reports every problem at once in one
 * ConfigError, and returns a frozen object.
 */
export function resolveOptions<T>(schema: OptionsSchema, input: unknown, where: string): Readonly<T> {
  const problems: ConfigProblem[] = [];
  const out: Record<string, unknown> = {};
  const prefix = where ? `${where}.` : '';
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new ConfigError([{ path: where || 'options', message: `expected an object, got ${describe(input)}` }]);
  }
  const given = (input ?? {}) as Record<string, unknown>;
  const known = Object.keys(schema);
  for (const key of Object.keys(given)) {
    if (!(key in schema)) {
      const suggestion = closest(key, known);
      problems.push({
        path: `${prefix}${key}`,
        message: `unknown option${suggestion ? `; did you mean "${suggestion}"?` : '.'} Known options: ${known.join(', ')}.`,
      });
    }
  }
  for (const [key, rule] of Object.entries(schema)) {
    const value = given[key];
    const path = `${prefix}${key}`;
    if (value === undefined) {
      if ('default' in rule && rule.default !== undefined) out[key] = rule.default;
      else if (!rule.optional) problems.push({ path, message: 'is required' });
      continue;
    }
    const checked = check(rule, value);
    if (checked instanceof Problem) {
      problems.push({ path, message: checked.message });
    } else {
      out[key] = checked;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Readonly<T>;
}

/** A check's verdict that the value is wrong, and why. */
class Problem {
  constructor(readonly message: string) {}
}

type Checked = unknown;

function check(rule: OptionRule, value: unknown): Checked {
  switch (rule.kind) {
    case 'duration': {
      const parsed = parseDuration(value);
      if (!parsed.ok) return new Problem(parsed.message);
      if (rule.min !== undefined && parsed.ms < rule.min) {
        return new Problem(`expected at least ${rule.min} ms, got ${parsed.ms} ms`);
      }
      return parsed.ms;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || Number.isNaN(value) || (rule.kind === 'integer' && !Number.isInteger(value))) {
        return new Problem(`expected ${rule.kind === 'integer' ? 'an integer' : 'a number'}, got ${describe(value)}`);
      }
      if (rule.min !== undefined && value < rule.min) return new Problem(`expected ${rule.min} or more, got ${value}`);
      if (rule.max !== undefined && value > rule.max) return new Problem(`expected ${rule.max} or less, got ${value}`);
      return value;
    }
    case 'string': {
      if (typeof value !== 'string') return new Problem(`expected a string, got ${describe(value)}`);
      if (rule.pattern && !rule.pattern.test(value)) {
        return new Problem(`expected ${rule.patternHint ?? `a string matching ${rule.pattern}`}, got ${describe(value)}`);
      }
      return value;
    }
    case 'boolean':
      return typeof value === 'boolean' ? value : new Problem(`expected true or false, got ${describe(value)}`);
    case 'oneOf': {
      if (typeof value === 'string' && rule.values.includes(value)) return value;
      const suggestion = typeof value === 'string' ? closest(value, rule.values) : null;
      const hint = suggestion ? `; did you mean '${suggestion}'?` : '';
      return new Problem(`expected one of ${rule.values.map((v) => `'${v}'`).join(', ')}, got ${describe(value)}${hint}`);
    }
    case 'stringList': {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || !list.every((v) => typeof v === 'string' && v.length > 0)) {
        return new Problem(`expected a list of non-empty strings, got ${describe(value)}`);
      }
      if (rule.nonEmpty && list.length === 0) return new Problem('expected at least one entry, got an empty list');
      return Object.freeze([...list]);
    }
    case 'date': {
      const date = value instanceof Date ? value : typeof value === 'string' ? parseIsoDate(value) : typeof value === 'number' ? new Date(value) : null;
      if (!date || Number.isNaN(date.getTime())) return new Problem(`expected a Date or an ISO 8601 date such as '2026-03-01T09:00:00Z', got ${describe(value)}`);
      return date;
    }
    case 'function':
      return typeof value === 'function' ? value : new Problem(`expected a function, got ${describe(value)}`);
    case 'any': {
      const problem = rule.check?.(value) ?? null;
      return problem ? new Problem(problem) : value;
    }
    default: {
      const never: never = rule;
      return never;
    }
  }
}

/** The known name closest to `name` by edit distance, if it is close enough to be a likely typo. */
export function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time, or null. Stricter than `new Date(text)`, which turns 2024-02-30
 * into March 1 and accepts many other forms: every field must be in range for its month.
 */
function parseIsoDate(text: string): Date | null {
  const match = ISO_DATE.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return null;
  const date = new Date(text.trim());
  return Number.isNaN(date.getTime()) ? null : date;
}
