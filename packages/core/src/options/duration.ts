/** A duration: milliseconds as a number, or a string such as `'500ms'`, `'10s'`, `'5m'`, `'1.5h'`, `'1d'`. */
export type Duration = number | string;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * The longest duration accepted: 100 years. Longer ones are almost certainly a unit mistake, and
 * past about 285,000 years a date computed from one is out of JavaScript's range.
 */
export const MAX_DURATION_MS = 100 * 365.25 * 86_400_000;

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d|w)?\s*$/i;

/**
 * Parses a duration into milliseconds, or returns a message saying what is wrong.
 * A bare number (or numeric string) is milliseconds.
 */
export function parseDuration(value: unknown): { ok: true; ms: number } | { ok: false; message: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      return { ok: false, message: `expected a duration of 0 ms or more, got ${value}` };
    }
    return withinRange(value, value);
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value);
    if (match) {
      const unit = (match[2] ?? 'ms').toLowerCase();
      return withinRange(Math.round(Number(match[1]) * UNITS[unit]!), value);
    }
  }
  return {
    ok: false,
    message: `expected a duration such as 500, '500ms', '30s', '5m', '2h' or '1d', got ${describe(value)}`,
  };
}

function withinRange(ms: number, value: number | string): { ok: true; ms: number } | { ok: false; message: string } {
  if (ms <= MAX_DURATION_MS) return { ok: true, ms };
  return { ok: false, message: `expected a duration of at most 100 years (${MAX_DURATION_MS} ms), got ${describe(value)}` };
}

/** Describes a received value for an error message: its type and a short rendering. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
  }
  return `${typeof value} ${String(value)}`;
}
