import { InvalidCronError } from '../errors.js';

/**
 * How day-of-month and day-of-week combine when both are restricted: `'and'` (a day must match
 * both, as Hangfire's Cronos does: `0 0 13 * FRI` is Friday the 13th) or `'or'` (either, as classic
 * Vixie cron does). When one of them is `*` or `?`, only the other counts, in both modes.
 */
export type CronDayMatch = 'and' | 'or';

/** The day-of-month field, parsed. */
export type DayOfMonthSpec =
  | { kind: 'any' }
  | { kind: 'set'; days: readonly boolean[] }
  /** `L`, `L-n`, `LW`, `L-nW`: the last day minus `minus`, or the nearest weekday before it. */
  | { kind: 'last'; minus: number; weekday: boolean }
  /** `nW`: the weekday nearest to day `day`, within the month. */
  | { kind: 'nearestWeekday'; day: number };

/** The day-of-week field, parsed (0 = Sunday). */
export type DayOfWeekSpec =
  | { kind: 'any' }
  | { kind: 'set'; days: readonly boolean[] }
  /** `5L`: the last Friday of the month. */
  | { kind: 'lastOf'; day: number }
  /** `5#3`: the third Friday of the month. */
  | { kind: 'nth'; day: number; nth: number };

/** A cron expression parsed into the sets of values each field allows. */
export interface ParsedCron {
  /** The expression as written (macros kept). */
  source: string;
  seconds: readonly boolean[];
  minutes: readonly boolean[];
  hours: readonly boolean[];
  /** Indexed 1-12. */
  months: readonly boolean[];
  dayOfMonth: DayOfMonthSpec;
  dayOfWeek: DayOfWeekSpec;
  dayMatch: CronDayMatch;
  /**
   * Whether the expression repeats within the day by interval (its second, minute or hour field is
   * `*` or a step). Such an expression fires in both passes of an hour repeated when clocks go back;
   * a fixed-time one fires in the first pass only.
   */
  interval: boolean;
}

/** Macros, as Cronos and Hangfire read them. */
const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
  '@every_minute': '0 * * * * *',
  '@every_second': '* * * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The value of the first name (1 for months, 0 for days). */
  nameBase?: number;
}

const SECOND: FieldRule = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldRule = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldRule = { name: 'hour', min: 0, max: 23 };
const DOM: FieldRule = { name: 'dayOfMonth', min: 1, max: 31 };
const MONTH: FieldRule = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 };
// 7 is Sunday as well as 0, as in every cron.
const DOW: FieldRule = { name: 'dayOfWeek', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 };

/**
 * Parses a cron expression of Spool's dialect (docs/recurring.md): five fields, or six with seconds
 * first; macros; month and day names; `?`; `L`, `W`, `LW`, `L-n`, `L-nW`, `#`; steps from a value
 * (`0/30`); ranges that wrap around (`23-3`, `FRI-TUE`). Throws an InvalidCronError that names the
 * field at fault and what is wrong with it.
 */
export function parseCron(expression: string, dayMatch: CronDayMatch = 'and'): ParsedCron {
  if (typeof expression !== 'string') throw new InvalidCronError(String(expression), 'expression', 'expected a string');
  const source = expression.trim();
  let text = source;
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (macro === undefined) {
      throw new InvalidCronError(source, 'expression', `unknown macro; expected one of ${Object.keys(MACROS).join(', ')}`);
    }
    text = macro;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new InvalidCronError(source, 'expression', `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${parts.length}`);
  }
  const [sec, min, hour, dom, month, dow] = parts.length === 6 ? parts : ['0', ...parts];
  const interval = [sec!, min!, hour!].some((f) => f === '*' || f.includes('/'));
  return {
    source,
    seconds: parseSet(source, sec!, SECOND),
    minutes: parseSet(source, min!, MINUTE),
    hours: parseSet(source, hour!, HOUR),
    months: parseSet(source, month!, MONTH),
    dayOfMonth: parseDayOfMonth(source, dom!),
    dayOfWeek: parseDayOfWeek(source, dow!),
    dayMatch,
    interval,
  };
}

function fail(source: string, rule: FieldRule, reason: string): never {
  throw new InvalidCronError(source, rule.name, reason);
}

function parseValue(source: string, text: string, rule: FieldRule): number {
  const upper = text.toUpperCase();
  const named = rule.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + rule.nameBase!;
  if (!/^\d{1,2}$/.test(text)) fail(source, rule, `${JSON.stringify(text)} is not a number${rule.names ? ' or a name' : ''}`);
  const value = Number(text);
  if (value < rule.min || value > rule.max) fail(source, rule, `${value} is out of range ${rule.min}-${rule.max}`);
  return value;
}

/** A list of `*`, values, ranges (wrapping when reversed) and steps, as a set over `min..max`. */
function parseSet(source: string, field: string, rule: FieldRule, allowQuestion = false): boolean[] {
  const set = new Array<boolean>(rule.max + 1).fill(false);
  if (field === '') fail(source, rule, 'empty');
  for (const item of field.split(',')) {
    if (item === '') fail(source, rule, 'an empty item in a list');
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) fail(source, rule, `${JSON.stringify(item)} has more than one step`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText)) fail(source, rule, `step ${JSON.stringify(stepText)} is not a number`);
      step = Number(stepText);
      if (step < 1 || step > rule.max) fail(source, rule, `step ${step} is out of range 1-${rule.max}`);
    }
    let from: number;
    let to: number;
    if (range === '*' || (allowQuestion && range === '?')) {
      if (range === '?' && stepText !== undefined) fail(source, rule, '"?" takes no step');
      from = rule.min;
      to = rule.max === 7 ? 6 : rule.max;
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined || a === '' || b === '') fail(source, rule, `${JSON.stringify(range)} is not a range`);
      from = parseValue(source, a!, rule);
      to = parseValue(source, b!, rule);
    } else {
      from = parseValue(source, range!, rule);
      // `10/5` steps from 10 to the field's end, as in Cronos and Quartz.
      to = stepText === undefined ? from : rule.max === 7 ? 6 : rule.max;
    }
    const span = rule.max === 7 ? 7 : rule.max - rule.min + 1;
    // A reversed range wraps around the end of the field: `22-2` is 22, 23, 0, 1, 2.
    const length = to >= from ? to - from : to - from + span;
    for (let k = 0; k <= length; k += step) {
      let v = from + k;
      if (v > rule.max || (rule.max === 7 && v > 6)) v -= span;
      set[v] = true;
    }
  }
  if (rule.max === 7) {
    if (set[7]) set[0] = true;
    set.length = 7;
  }
  return set;
}

function parseDayOfMonth(source: string, field: string): DayOfMonthSpec {
  const upper = field.toUpperCase();
  if (field === '*' || field === '?') return { kind: 'any' };
  const last = /^L(?:-(\d{1,2}))?(W?)$/.exec(upper);
  if (last) {
    const minus = last[1] === undefined ? 0 : Number(last[1]);
    if (minus > 30) fail(source, DOM, `L-${minus}: the offset from the last day must be 0-30`);
    return { kind: 'last', minus, weekday: last[2] === 'W' };
  }
  if (upper.includes('W')) {
    const nearest = /^(\d{1,2})W$/.exec(upper);
    if (!nearest) fail(source, DOM, `${JSON.stringify(field)}: W follows one day number (15W) or L (LW), and is not allowed in a list or range`);
    const day = Number(nearest[1]);
    if (day < 1 || day > 31) fail(source, DOM, `${day} is out of range 1-31`);
    return { kind: 'nearestWeekday', day };
  }
  if (upper.includes('L')) fail(source, DOM, `${JSON.stringify(field)}: L stands alone (L, L-3, LW, L-3W), not in a list or range`);
  return { kind: 'set', days: parseSet(source, field, DOM) };
}

function parseDayOfWeek(source: string, field: string): DayOfWeekSpec {
  const upper = field.toUpperCase();
  if (field === '*' || field === '?') return { kind: 'any' };
  if (upper.includes('#')) {
    const nth = /^([A-Z]{3}|\d)#(\d)$/.exec(upper);
    if (!nth) fail(source, DOW, `${JSON.stringify(field)}: # takes a day and a week number 1-5 (FRI#3), and is not allowed in a list`);
    const n = Number(nth[2]);
    if (n < 1 || n > 5) fail(source, DOW, `#${n}: the week number must be 1-5`);
    return { kind: 'nth', day: parseValue(source, nth[1]!, DOW) % 7, nth: n };
  }
  if (upper.endsWith('L') && upper !== 'L') {
    const lastOf = /^([A-Z]{3}|\d)L$/.exec(upper);
    if (!lastOf) fail(source, DOW, `${JSON.stringify(field)}: L follows one day (5L, FRIL), and is not allowed in a list`);
    return { kind: 'lastOf', day: parseValue(source, lastOf[1]!, DOW) % 7 };
  }
  // `L` alone in day-of-week is Saturday, the last day of the week, as in Quartz.
  if (upper === 'L') return { kind: 'set', days: [false, false, false, false, false, false, true] };
  return { kind: 'set', days: parseSet(source, field, DOW) };
}
