import { Cron } from 'croner';

import { ConfigError } from '../errors.js';
import type { MisfirePolicy } from '../job/records.js';

/** A parsed cron expression in a time zone: computes occurrences. */
export class CronSchedule {
  private constructor(
    readonly expression: string,
    readonly timezone: string,
    private readonly cron: Cron,
  ) {}

  /**
   * Parses a cron expression (5 fields, or 6 with seconds first) for an IANA time zone.
   * Throws a ConfigError naming `cron` or `timezone` when either is invalid.
   */
  static parse(expression: string, timezone = 'UTC', where = 'recurring'): CronSchedule {
    if (typeof timezone !== 'string' || !isValidTimeZone(timezone)) {
      throw new ConfigError([
        { path: `${where}.timezone`, message: `expected an IANA time zone such as 'UTC' or 'Europe/Berlin', got ${JSON.stringify(timezone)}` },
      ]);
    }
    if (typeof expression !== 'string' || expression.trim().split(/\s+/).length < 5 || expression.trim().split(/\s+/).length > 6) {
      throw new ConfigError([
        { path: `${where}.cron`, message: `expected a cron expression of 5 fields (or 6 with seconds first) such as '0 2 * * *', got ${JSON.stringify(expression)}` },
      ]);
    }
    try {
      const cron = new Cron(expression.trim(), { timezone, paused: true });
      if (cron.nextRun(new Date(0)) === null && cron.nextRun() === null) {
        throw new Error('it never fires');
      }
      return new CronSchedule(expression.trim(), timezone, cron);
    } catch (error) {
      throw new ConfigError([
        { path: `${where}.cron`, message: `invalid cron expression ${JSON.stringify(expression)}: ${(error as Error).message}` },
      ]);
    }
  }

  /** The first occurrence strictly after `after`, or null when there is none. */
  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }

  /**
   * The occurrences to fire now for a record whose next run was `due`, by misfire policy, and the
   * next run after `now`. `once`: one job however many were missed. `all`: one job per missed
   * occurrence (at most `maxCatchUp`). `skip`: one job only if the latest due occurrence is within
   * `graceMs` of now, none otherwise.
   */
  occurrences(due: Date, now: Date, policy: MisfirePolicy, graceMs: number, maxCatchUp = 100): { fire: Date[]; next: Date | null } {
    const missed: Date[] = [due];
    for (let at = this.next(due); at !== null && at.getTime() <= now.getTime() && missed.length < maxCatchUp; at = this.next(at)) {
      missed.push(at);
    }
    const next = this.next(now);
    const latest = missed.at(-1)!;
    switch (policy) {
      case 'all':
        return { fire: missed, next };
      case 'once':
        return { fire: [latest], next };
      case 'skip':
        return { fire: now.getTime() - latest.getTime() <= graceMs ? [latest] : [], next };
      default: {
        const never: never = policy;
        return never;
      }
    }
  }
}

/** Whether a string is a time zone this runtime knows (IANA names, or UTC). */
export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
