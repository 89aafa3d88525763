import type { RecurringSettings } from '../job/records.js';
import { DEFAULT_RECURRING_SETTINGS } from '../job/records.js';

/**
 * The one text form of a recurring job's settings that every storage keeps (dates as milliseconds).
 * Storages store it and read it back; none looks inside.
 */
export function encodeRecurringSettings(settings: RecurringSettings): string {
  return JSON.stringify({
    dayMatch: settings.dayMatch,
    overlap: settings.overlap,
    jitterMs: settings.jitterMs,
    startAt: settings.startAt === null ? null : settings.startAt.getTime(),
    endAt: settings.endAt === null ? null : settings.endAt.getTime(),
    maxRuns: settings.maxRuns,
    ...(settings.override ? { override: { code: settings.override.code, setBy: settings.override.setBy, setAt: settings.override.setAt.getTime() } } : {}),
  });
}

/** Reads settings written by {@link encodeRecurringSettings}; missing text or fields (older records) are the defaults. */
export function decodeRecurringSettings(text: string | null | undefined): RecurringSettings {
  if (text === null || text === undefined || text === '') return { ...DEFAULT_RECURRING_SETTINGS };
  const raw = JSON.parse(text) as Partial<Record<keyof RecurringSettings, unknown>>;
  const d = DEFAULT_RECURRING_SETTINGS;
  const date = (v: unknown): Date | null => (typeof v === 'number' ? new Date(v) : null);
  return {
    dayMatch: raw.dayMatch === 'or' ? 'or' : d.dayMatch,
    overlap: raw.overlap === 'skip' || raw.overlap === 'queue' || raw.overlap === 'cancel' ? raw.overlap : d.overlap,
    jitterMs: typeof raw.jitterMs === 'number' ? raw.jitterMs : d.jitterMs,
    startAt: date(raw.startAt),
    endAt: date(raw.endAt),
    maxRuns: typeof raw.maxRuns === 'number' ? raw.maxRuns : d.maxRuns,
    ...(isOverride(raw.override) ? { override: { code: { cron: raw.override.code.cron, timezone: raw.override.code.timezone }, setBy: raw.override.setBy, setAt: new Date(raw.override.setAt) } } : {}),
  };
}

interface StoredOverride {
  code: { cron: string; timezone: string };
  setBy: string | null;
  setAt: number;
}

function isOverride(value: unknown): value is StoredOverride {
  const v = value as Partial<StoredOverride> | null | undefined;
  return (
    typeof v === 'object' && v !== null && typeof v.code === 'object' && v.code !== null && typeof v.code.cron === 'string' && typeof v.code.timezone === 'string' &&
    (typeof v.setBy === 'string' || v.setBy === null) && typeof v.setAt === 'number'
  );
}
