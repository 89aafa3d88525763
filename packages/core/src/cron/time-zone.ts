/**
 * Wall-clock arithmetic in IANA time zones through the platform's `Intl` (no time zone database of
 * our own). A "wall time" is a local date and time written as milliseconds since the epoch as if the
 * zone were UTC: `Date.UTC(2026, 2, 8, 2, 30)` is 02:30 local on 8 March 2026.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether a string is a time zone this runtime knows (IANA names, or UTC). */
export function isValidTimeZone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

/** The wall time of an instant in a zone, to the second (milliseconds dropped). */
export function wallTimeOf(instant: number, zone: string): number {
  if (zone === 'UTC') return Math.floor(instant / 1000) * 1000;
  const parts = formatter(zone).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

/** The zone's offset from UTC at an instant, in milliseconds (whole seconds). */
export function offsetAt(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallTimeOf(whole, zone) - whole;
}

/**
 * The instants whose wall time is `wall`: one normally; two, earlier first, in an overlap (the
 * hour repeated when clocks go back); none in a gap (clocks jumped forward), where `gapEnd` is the
 * instant the jump happened, the first valid time after the gap.
 */
export function instantsOf(wall: number, zone: string): { instants: number[]; gapEnd: number | null } {
  if (zone === 'UTC') return { instants: [wall], gapEnd: null };
  // Offsets lie within a day of each other, so the offsets a day either side bracket every candidate.
  const before = offsetAt(wall - 86_400_000, zone);
  const after = offsetAt(wall + 86_400_000, zone);
  const candidates = [...new Set([wall - before, wall - after, wall - offsetAt(wall - before, zone), wall - offsetAt(wall - after, zone)])]
    .filter((i) => wallTimeOf(i, zone) === wall)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return { instants: candidates, gapEnd: null };
  return { instants: [], gapEnd: transitionBetween(wall - before, wall - after, zone) };
}

/** The first instant (to the second) in `[from, to]` whose offset differs from the offset at `from`. */
function transitionBetween(from: number, to: number, zone: string): number {
  let lo = Math.min(from, to);
  let hi = Math.max(from, to);
  const start = offsetAt(lo, zone);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(mid, zone) === start) lo = mid;
    else hi = mid;
  }
  return hi;
}
