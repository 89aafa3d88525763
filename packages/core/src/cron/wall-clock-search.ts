import type { ParsedCron } from './cron-expression.js';

/**
 * The wall times a parsed cron expression matches, found field by field (never second by second),
 * in a calendar without time zones: the caller maps wall times to instants. Searches stop after
 * `YEARS_AHEAD` years, so an expression that never matches (`0 0 30 2 *`) answers null.
 */

const YEARS_AHEAD = 30;
const DAY = 86_400_000;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether the expression's day fields match this date (`month` 1-12). */
export function dayMatches(cron: ParsedCron, year: number, month: number, day: number): boolean {
  const domAny = cron.dayOfMonth.kind === 'any';
  const dowAny = cron.dayOfWeek.kind === 'any';
  if (domAny && dowAny) return true;
  if (domAny) return dowMatches(cron, year, month, day);
  if (dowAny) return domMatches(cron, year, month, day);
  return cron.dayMatch === 'and'
    ? domMatches(cron, year, month, day) && dowMatches(cron, year, month, day)
    : domMatches(cron, year, month, day) || dowMatches(cron, year, month, day);
}

function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The weekday (Mon-Fri) nearest to `target`, not leaving the month. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = daysInMonth(year, month);
  const day = Math.min(target, last);
  const wd = weekday(year, month, day);
  if (wd === 6) return day === 1 ? 3 : day - 1;
  if (wd === 0) return day === last ? day - 2 : day + 1;
  return day;
}

function domMatches(cron: ParsedCron, year: number, month: number, day: number): boolean {
  const spec = cron.dayOfMonth;
  switch (spec.kind) {
    case 'any':
      return true;
    case 'set':
      return spec.days[day] === true;
    case 'nearestWeekday':
      // A day past the month's end (31W in April) does not exist that month: no occurrence.
      return spec.day <= daysInMonth(year, month) && nearestWeekday(year, month, spec.day) === day;
    case 'last': {
      const target = daysInMonth(year, month) - spec.minus;
      if (target < 1) return false;
      return spec.weekday ? nearestWeekday(year, month, target) === day : day === target;
    }
    default: {
      const never: never = spec;
      return never;
    }
  }
}

function dowMatches(cron: ParsedCron, year: number, month: number, day: number): boolean {
  const spec = cron.dayOfWeek;
  const wd = weekday(year, month, day);
  switch (spec.kind) {
    case 'any':
      return true;
    case 'set':
      return spec.days[wd] === true;
    case 'lastOf':
      return wd === spec.day && day + 7 > daysInMonth(year, month);
    case 'nth':
      return wd === spec.day && Math.ceil(day / 7) === spec.nth;
    default: {
      const never: never = spec;
      return never;
    }
  }
}

function firstAtOrAfter(set: readonly boolean[], from: number): number {
  for (let v = from; v < set.length; v++) if (set[v]) return v;
  return -1;
}

function lastAtOrBefore(set: readonly boolean[], from: number): number {
  for (let v = Math.min(from, set.length - 1); v >= 0; v--) if (set[v]) return v;
  return -1;
}

/** The first wall time at or after `wall` (rounded up to the second) that the expression matches. */
export function nextWallMatch(cron: ParsedCron, wall: number): number | null {
  let t = Math.ceil(wall / 1000) * 1000;
  const limit = new Date(t).getUTCFullYear() + YEARS_AHEAD;
  for (;;) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    if (y > limit) return null;
    const mo = d.getUTCMonth() + 1;
    if (!cron.months[mo]) {
      t = Date.UTC(y, mo, 1);
      continue;
    }
    const day = d.getUTCDate();
    if (!dayMatches(cron, y, mo, day)) {
      t = Date.UTC(y, mo - 1, day + 1);
      continue;
    }
    const h = firstAtOrAfter(cron.hours, d.getUTCHours());
    if (h < 0) {
      t = Date.UTC(y, mo - 1, day + 1);
      continue;
    }
    if (h !== d.getUTCHours()) {
      t = Date.UTC(y, mo - 1, day, h);
      continue;
    }
    const mi = firstAtOrAfter(cron.minutes, d.getUTCMinutes());
    if (mi < 0) {
      t = Date.UTC(y, mo - 1, day, h + 1);
      continue;
    }
    if (mi !== d.getUTCMinutes()) {
      t = Date.UTC(y, mo - 1, day, h, mi);
      continue;
    }
    const s = firstAtOrAfter(cron.seconds, d.getUTCSeconds());
    if (s < 0) {
      t = Date.UTC(y, mo - 1, day, h, mi + 1);
      continue;
    }
    return Date.UTC(y, mo - 1, day, h, mi, s);
  }
}

/** The last wall time at or before `wall` (rounded down to the second) that the expression matches. */
export function previousWallMatch(cron: ParsedCron, wall: number): number | null {
  let t = Math.floor(wall / 1000) * 1000;
  const limit = new Date(t).getUTCFullYear() - YEARS_AHEAD;
  // Steps back to the last second of the unit before `t`'s: `t` is the start of a month, day, hour or minute.
  const endBefore = (start: number): number => start - 1000;
  for (;;) {
    const d = new Date(t);
    const y = d.getUTCFullYear();
    if (y < limit) return null;
    const mo = d.getUTCMonth() + 1;
    if (!cron.months[mo]) {
      t = endBefore(Date.UTC(y, mo - 1, 1));
      continue;
    }
    const day = d.getUTCDate();
    if (!dayMatches(cron, y, mo, day)) {
      t = endBefore(Date.UTC(y, mo - 1, day));
      continue;
    }
    const h = lastAtOrBefore(cron.hours, d.getUTCHours());
    if (h < 0) {
      t = endBefore(Date.UTC(y, mo - 1, day));
      continue;
    }
    if (h !== d.getUTCHours()) {
      t = endBefore(Date.UTC(y, mo - 1, day, h + 1));
      continue;
    }
    const mi = lastAtOrBefore(cron.minutes, d.getUTCMinutes());
    if (mi < 0) {
      t = endBefore(Date.UTC(y, mo - 1, day, h));
      continue;
    }
    if (mi !== d.getUTCMinutes()) {
      t = endBefore(Date.UTC(y, mo - 1, day, h, mi + 1));
      continue;
    }
    const s = lastAtOrBefore(cron.seconds, d.getUTCSeconds());
    if (s < 0) {
      t = endBefore(Date.UTC(y, mo - 1, day, h, mi));
      continue;
    }
    return Date.UTC(y, mo - 1, day, h, mi, s);
  }
}

/** Whether the expression matches at least one day in a leap-year cycle (else it never fires). */
export function everMatches(cron: ParsedCron): boolean {
  // 28 years repeat both the leap cycle and the weekdays (between century exceptions).
  const start = Date.UTC(2000, 0, 1);
  for (let t = start; t < start + 28 * 366 * DAY; t += DAY) {
    const d = new Date(t);
    const mo = d.getUTCMonth() + 1;
    if (cron.months[mo] && dayMatches(cron, d.getUTCFullYear(), mo, d.getUTCDate())) return true;
  }
  return false;
}
