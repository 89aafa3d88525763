import { resolve } from 'node:path';

import { CronSchedule } from 'spool';

/** When and what the nightly cleanup deletes. */
export interface CleanupSettings {
  /** The folder of finished exports (absolute). */
  exportsDir: string;
  /** Exports older than this many days are deleted. */
  maxAgeDays: number;
  /** Cron expression of the schedule (5 fields, or 6 with seconds first). */
  cron: string;
  /** IANA time zone the cron expression is read in. */
  timezone: string;
}

/** Defaults: every night at 03:00 in Berlin, exports older than a week. */
export const CLEANUP_DEFAULTS = Object.freeze({ maxAgeDays: 7, cron: '0 3 * * *', timezone: 'Europe/Berlin' });

/**
 * Completes and checks cleanup settings: defaults applied, the folder made absolute, the cron
 * expression and time zone parsed. Throws a RangeError (or Spool's ConfigError for the schedule)
 * naming every problem.
 */
export function resolveCleanupSettings(given: Partial<CleanupSettings> & { exportsDir: string }): CleanupSettings {
  const settings = { ...CLEANUP_DEFAULTS, ...withoutUndefined(given) } as CleanupSettings;
  const problems: string[] = [];
  if (typeof settings.exportsDir !== 'string' || settings.exportsDir.trim() === '') {
    problems.push(`exportsDir: expected the folder of finished exports, got ${JSON.stringify(settings.exportsDir)}`);
  }
  if (typeof settings.maxAgeDays !== 'number' || !Number.isFinite(settings.maxAgeDays) || settings.maxAgeDays <= 0) {
    problems.push(`maxAgeDays: expected a number of days above 0, got ${JSON.stringify(settings.maxAgeDays)}`);
  }
  if (problems.length > 0) throw new RangeError(`nightly cleanup: ${problems.join('; ')}`);
  CronSchedule.parse(settings.cron, settings.timezone, 'nightly cleanup');
  return Object.freeze({ ...settings, exportsDir: resolve(settings.exportsDir) });
}

/**
 * Cleanup settings from the environment: `CLEANUP_EXPORTS_DIR` (default `./data/exports`),
 * `CLEANUP_MAX_AGE_DAYS` (7), `CLEANUP_CRON` (`0 3 * * *`), `CLEANUP_TIMEZONE` (`Europe/Berlin`).
 */
export function cleanupSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CleanupSettings {
  const maxAge = env.CLEANUP_MAX_AGE_DAYS?.trim();
  return resolveCleanupSettings({
    exportsDir: env.CLEANUP_EXPORTS_DIR || './data/exports',
    maxAgeDays: maxAge ? Number(maxAge) : undefined,
    cron: env.CLEANUP_CRON || undefined,
    timezone: env.CLEANUP_TIMEZONE || undefined,
  });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
