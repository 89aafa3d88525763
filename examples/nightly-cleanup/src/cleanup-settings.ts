import { delimiter, resolve } from 'node:path';

import { CronSchedule } from 'spool';

/** When and what the nightly cleanup deletes. */
export interface CleanupSettings {
  /** The folders to clean (absolute, each once), e.g. finished exports and uploads. */
  folders: readonly string[];
  /** Files older than this many days are deleted. */
  maxAgeDays: number;
  /** Cron expression of the schedule (5 fields, or 6 with seconds first). */
  cron: string;
  /** IANA time zone the cron expression is read in. */
  timezone: string;
}

/** Defaults: every night at 03:00 in Berlin, files older than a week. */
export const CLEANUP_DEFAULTS = Object.freeze({ maxAgeDays: 7, cron: '0 3 * * *', timezone: 'Europe/Berlin' });

/**
 * Completes and checks cleanup settings: defaults applied, the folders made absolute (each listed
 * once), the cron
 * expression and time zone parsed. Throws a RangeError (or Spool's ConfigError for the schedule)
 * naming every problem.
 */
export function resolveCleanupSettings(given: Partial<CleanupSettings> & { folders: readonly string[] }): CleanupSettings {
  const settings = { ...CLEANUP_DEFAULTS, ...withoutUndefined(given) } as CleanupSettings;
  const problems: string[] = [];
  const folders: unknown = settings.folders;
  if (!Array.isArray(folders) || folders.length === 0) {
    problems.push(`folders: expected a list of one or more folders to clean, got ${JSON.stringify(folders)}`);
  } else {
    for (const folder of folders as unknown[]) {
      if (typeof folder !== 'string' || folder.trim() === '') problems.push(`folders: expected a folder's path, got ${JSON.stringify(folder)}`);
    }
  }
  if (typeof settings.maxAgeDays !== 'number' || !Number.isFinite(settings.maxAgeDays) || settings.maxAgeDays <= 0) {
    problems.push(`maxAgeDays: expected a number of days above 0, got ${JSON.stringify(settings.maxAgeDays)}`);
  }
  if (problems.length > 0) throw new RangeError(`nightly cleanup: ${problems.join('; ')}`);
  CronSchedule.parse(settings.cron, settings.timezone, 'nightly cleanup');
  return Object.freeze({ ...settings, folders: Object.freeze([...new Set(settings.folders.map((folder) => resolve(folder)))]) });
}

/**
 * Cleanup settings from the environment: `CLEANUP_FOLDERS`, the folders separated by the platform's
 * path delimiter (`:`, or `;` on Windows), default `./data/exports` (or the one folder in
 * `CLEANUP_EXPORTS_DIR`, the older name); `CLEANUP_MAX_AGE_DAYS` (7), `CLEANUP_CRON` (`0 3 * * *`),
 * `CLEANUP_TIMEZONE` (`Europe/Berlin`).
 */
export function cleanupSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CleanupSettings {
  const maxAge = env.CLEANUP_MAX_AGE_DAYS?.trim();
  const folders = env.CLEANUP_FOLDERS ? env.CLEANUP_FOLDERS.split(delimiter).map((folder) => folder.trim()).filter((folder) => folder !== '') : [env.CLEANUP_EXPORTS_DIR || './data/exports'];
  return resolveCleanupSettings({
    folders,
    maxAgeDays: maxAge ? Number(maxAge) : undefined,
    cron: env.CLEANUP_CRON || undefined,
    timezone: env.CLEANUP_TIMEZONE || undefined,
  });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
