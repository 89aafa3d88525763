import { ConfigError, InvalidCronError } from '../errors.js';
import type { MisfirePolicy } from '../job/records.js';
import type { CronDayMatch, ParsedCron } from './cron-expression.js';
import { parseCron } from './cron-expression.js';
import { instantsOf, isValidTimeZone, offsetAt, wallTimeOf } from './time-zone.js';
import { everMatches, nextWallMatch, previousWallMatch } from './wall-clock-search.js';

export { isValidTimeZone };

/** The most occurrences the `'all'` misfire policy fires at once, by default; older ones are skipped and recorded. */
export const DEFAULT_CATCH_UP_LIMIT = 100;

/** What the misfire policy decided for a record that is due. */
export interface MisfireDecision {
  /** The occurrences to fire now, oldest first. */
  fire: Date[];
  /** Missed occurrences that were not fired (policy `once`, `skip`, or beyond the catch-up limit of `all`), or null. */
  skipped: { from: Date; to: Date } | null;
  /** The latest occurrence handled (fired or skipped): the next run is strictly after it. */
  handled: Date;
  /** The next run: the first occurrence strictly after both `handled` and now; null when there is none. */
  next: Date | null;
}

const HOUR = 3_600_000;
// Parsing and the "does it ever fire" check cost far more than a search: cache them per expression.
const parsedCache = new Map<string, ParsedCron>();

/**
 * A parsed cron expression in a time zone: computes occurrences, correct across daylight-saving
 * changes (docs/recurring.md):
 * - a wall time inside a spring gap fires at the end of the gap (the first valid time);
 * - in an hour repeated in autumn, a fixed-time expression fires once (first pass), an interval
 *   expression (`*` or a step in its second, minute or hour field) fires in both passes;
 * - `next(t)` is always strictly later than `t`, and `previous(t)` strictly earlier.
 */
export class CronSchedule {
  private constructor(
    readonly expression: string,
    readonly timezone: string,
    readonly parsed: ParsedCron,
  ) {}

  /**
   * Parses a cron expression (5 fields, or 6 with seconds first, or a macro) for an IANA time zone.
   * Throws a ConfigError naming `cron` or `timezone` when either is invalid; the error's `cause` is
   * the InvalidCronError (code `ERR_INVALID_CRON`) that says what is wrong.
   */
  static parse(expression: string, timezone = 'UTC', where = 'recurring', dayMatch: CronDayMatch = 'and'): CronSchedule {
    if (typeof timezone !== 'string' || !isValidTimeZone(timezone)) {
      throw new ConfigError([
        { path: `${where}.timezone`, message: `expected an IANA time zone such as 'UTC' or 'Europe/Berlin', got ${JSON.stringify(timezone)}` },
      ]);
    }
    try {
      return new CronSchedule(typeof expression === 'string' ? expression.trim() : expression, timezone, CronSchedule.parseCached(expression, dayMatch));
    } catch (error) {
      if (!(error instanceof InvalidCronError)) throw error;
      const problem = new ConfigError([{ path: `${where}.cron`, message: error.message }]);
      (problem as { cause?: unknown }).cause = error;
      throw problem;
    }
  }

  private static parseCached(expression: string, dayMatch: CronDayMatch): ParsedCron {
    const key = `${dayMatch} ${String(expression)}`;
    const cached = parsedCache.get(key);
    if (cached) return cached;
    const parsed = parseCron(expression, dayMatch);
    if (!everMatches(parsed)) throw new InvalidCronError(parsed.source, 'expression', 'it never fires (no date matches its day and month fields)');
    if (parsedCache.size >= 1000) parsedCache.delete(parsedCache.keys().next().value!);
    parsedCache.set(key, parsed);
    return parsed;
  }

  /** The first occurrence strictly after `after`, or null when there is none. */
  next(after: Date): Date | null {
    const t = after.getTime();
    // When clocks go back within the next hours, the repeated wall times lie before t's wall time.
    const drop = offsetAt(t, this.timezone) - offsetAt(t + 3 * HOUR, this.timezone);
    let wall = wallTimeOf(t, this.timezone) - Math.max(0, drop);
    let best: number | null = null;
    for (;;) {
      const match = nextWallMatch(this.parsed, wall);
      if (match === null) return best === null ? null : new Date(best);
      const { candidates, repeated } = this.candidates(match);
      // Every first-pass (or ordinary) instant of a later wall time is later still: done.
      if (candidates[0]! > t) return new Date(best === null ? candidates[0]! : Math.min(best, candidates[0]!));
      // A second-pass instant comes after every first-pass one: a later wall time may beat it.
      if (candidates.length === 2 && candidates[1]! > t) best = best === null ? candidates[1]! : Math.min(best, candidates[1]!);
      if (!repeated && best !== null) return new Date(best);
      wall = match + 1000;
    }
  }

  /** The latest occurrence strictly before `before`, or null when there is none. */
  previous(before: Date): Date | null {
    const t = before.getTime();
    // Just after clocks went back, first-pass wall times lie after t's wall time.
    const drop = offsetAt(t - 3 * HOUR, this.timezone) - offsetAt(t, this.timezone);
    let wall = wallTimeOf(t, this.timezone) + Math.max(0, drop);
    let best: number | null = null;
    for (;;) {
      const match = previousWallMatch(this.parsed, wall);
      if (match === null) return best === null ? null : new Date(best);
      const { candidates, repeated } = this.candidates(match);
      const last = candidates.at(-1)!;
      // A second-pass instant is later than every first-pass one of an earlier wall time: done.
      if (candidates.length === 2 && last < t) return new Date(best === null ? last : Math.max(best, last));
      if (candidates[0]! < t) best = best === null ? candidates[0]! : Math.max(best, candidates[0]!);
      if (!repeated && best !== null) return new Date(best);
      wall = match - 1000;
    }
  }

  /**
   * The instants a matching wall time fires at: its one instant; the end of the gap when it falls in
   * a spring gap; in a repeated hour, the first pass, and the second too for an interval expression.
   */
  private candidates(wall: number): { candidates: number[]; repeated: boolean } {
    const { instants, gapEnd } = instantsOf(wall, this.timezone);
    if (instants.length === 0) return { candidates: [gapEnd!], repeated: false };
    if (instants.length === 1) return { candidates: instants, repeated: false };
    return { candidates: this.parsed.interval ? instants : [instants[0]!], repeated: true };
  }

  /** The next `count` occurrences strictly after `after`. */
  nextN(after: Date, count: number): Date[] {
    const out: Date[] = [];
    for (let at = this.next(after); at !== null && out.length < count; at = this.next(at)) out.push(at);
    return out;
  }

  /** The previous `count` occurrences strictly before `before`, latest first. */
  previousN(before: Date, count: number): Date[] {
    const out: Date[] = [];
    for (let at = this.previous(before); at !== null && out.length < count; at = this.previous(at)) out.push(at);
    return out;
  }

  /**
   * What to fire for a record whose next run `due` has come, by misfire policy, judged at `now`
   * (the storage's time). Only `'all'` walks the missed occurrences, and at most `catchUpLimit` of
   * them; `'once'` and `'skip'` look at the latest only, however many were missed.
   * - `once`: one job, for the latest occurrence at or before now.
   * - `all`: one job per missed occurrence, the latest `catchUpLimit` of them; older ones skipped.
   * - `skip`: one job for the latest occurrence if it is within `graceMs` of now, else none.
   * The next run is strictly after the latest occurrence handled and after now.
   */
  occurrences(due: Date, now: Date, policy: MisfirePolicy, graceMs: number, catchUpLimit = DEFAULT_CATCH_UP_LIMIT): MisfireDecision {
    const latest = this.latestAtOrBefore(now, due);
    const next = this.next(new Date(Math.max(latest.getTime(), now.getTime())));
    const skippedBefore = (firstFired: Date | null): { from: Date; to: Date } | null => {
      const end = firstFired === null ? latest : this.previous(firstFired);
      return end === null || end.getTime() < due.getTime() ? null : { from: due, to: end };
    };
    switch (policy) {
      case 'all': {
        const fire: Date[] = [];
        for (let at: Date | null = latest; at !== null && at.getTime() >= due.getTime() && fire.length < catchUpLimit; at = this.previous(at)) fire.unshift(at);
        return { fire, skipped: skippedBefore(fire[0]!), handled: latest, next };
      }
      case 'once':
        return { fire: [latest], skipped: skippedBefore(latest), handled: latest, next };
      case 'skip': {
        const fire = now.getTime() - latest.getTime() <= graceMs ? [latest] : [];
        return { fire, skipped: skippedBefore(fire[0] ?? null), handled: latest, next };
      }
      default: {
        const never: never = policy;
        return never;
      }
    }
  }

  /** The latest occurrence at or before `now`, and never earlier than `due` (itself an occurrence, or the stored next run). */
  private latestAtOrBefore(now: Date, due: Date): Date {
    const latest = this.previous(new Date(now.getTime() + 1));
    return latest === null || latest.getTime() < due.getTime() ? due : latest;
  }
}
