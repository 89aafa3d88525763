import type { CronSchedule } from '../cron/cron-schedule.js';
import type { RecurringRecord, RecurringSettings } from '../job/records.js';

/**
 * The pure decisions of a recurring job's schedule: which occurrences a due record fires, and its
 * next run, given its settings (jitter, start and end, run limit). The manager asks these and
 * writes the answer; storages never re-derive them.
 */

/** What a due record fires now, and where its schedule goes next. */
export interface FiringPlan {
  /** The occurrences to fire, oldest first (times of the schedule, without jitter). */
  fire: Date[];
  /** Missed occurrences that were not fired, or null. */
  skipped: { from: Date; to: Date } | null;
  /** The next run to store (jitter included), strictly after the occurrence handled; null when the schedule has ended. */
  next: Date | null;
}

/**
 * The fixed offset that jitter gives every occurrence of one recurring job, in `[0, jitterMs)`:
 * derived from its id (FNV-1a), so a fleet of schedules spreads over the window while each keeps its
 * rhythm, and every server computes the same offset.
 */
export function jitterOffset(id: string, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return Math.floor((hash / 0x1_0000_0000) * jitterMs);
}

/** The first occurrence strictly after `after` that the settings allow (start and end), or null. */
export function nextAllowed(schedule: CronSchedule, settings: RecurringSettings, after: Date): Date | null {
  const from = settings.startAt !== null && settings.startAt.getTime() - 1 > after.getTime() ? new Date(settings.startAt.getTime() - 1) : after;
  const next = schedule.next(from);
  if (next === null || (settings.endAt !== null && next.getTime() > settings.endAt.getTime())) return null;
  return next;
}

/** The next run of a record from `now` (for a new schedule, or one resumed): jitter included. */
export function firstRun(schedule: CronSchedule, settings: RecurringSettings, id: string, runs: number, now: Date): Date | null {
  if (settings.maxRuns !== null && runs >= settings.maxRuns) return null;
  const offset = jitterOffset(id, settings.jitterMs);
  const occurrence = nextAllowed(schedule, settings, new Date(now.getTime() - offset));
  return occurrence === null ? null : new Date(occurrence.getTime() + offset);
}

/**
 * What a due record fires at `now` (the storage's time): its misfire policy applied to the
 * occurrences since its next run, kept within its start, end and run limit; then its next run.
 */
export function planFiring(record: RecurringRecord, schedule: CronSchedule, now: Date, graceMs: number, catchUpLimit: number): FiringPlan {
  const { settings } = record;
  const offset = jitterOffset(record.id, settings.jitterMs);
  // With jitter, the schedule is judged at now minus the offset: the occurrence is due `offset` late.
  const due = new Date(record.nextRunAt!.getTime() - offset);
  const judgedAt = new Date(Math.max(now.getTime() - offset, due.getTime()));
  const decision = schedule.occurrences(due, judgedAt, record.misfire, graceMs, catchUpLimit);
  let fire = decision.fire.filter(
    (at) => (settings.startAt === null || at.getTime() >= settings.startAt.getTime()) && (settings.endAt === null || at.getTime() <= settings.endAt.getTime()),
  );
  const remaining = settings.maxRuns === null ? Infinity : Math.max(0, settings.maxRuns - record.runs);
  if (fire.length > remaining) fire = fire.slice(0, remaining);
  const ended = record.runs + fire.length >= (settings.maxRuns ?? Infinity);
  const after = new Date(Math.max(decision.handled.getTime(), judgedAt.getTime()));
  const occurrence = ended ? null : nextAllowed(schedule, settings, after);
  return { fire, skipped: decision.skipped, next: occurrence === null ? null : new Date(occurrence.getTime() + offset) };
}
