import { CronSchedule, DEFAULT_CATCH_UP_LIMIT } from '../cron/cron-schedule.js';
import { ConfigError, RecurringNotFoundError } from '../errors.js';
import { JOB_OPTION_RULES, toNullableMs } from '../job/definition.js';
import type { MisfirePolicy, NewJob, NewRecurringHistory, OverlapPolicy, RecurringHistoryRecord, RecurringRecord, RecurringSettings } from '../job/records.js';
import type { Duration } from '../options/duration.js';
import { resolveOptions } from '../options/resolve.js';
import type { JobState } from '../states/states.js';
import { STATE_FACTS } from '../states/states.js';
import type { RecurringFireJob, RecurringFireResult, Storage } from '../storage/contract.js';
import { RECURRING_HISTORY_LIMIT } from '../storage/contract.js';
import type { JobBuilder } from './job-builder.js';
import { firstRun, jitterOffset, nextAllowed, planFiring } from './recurring-plan.js';
import type { JobTarget } from './spool.js';

/** Options of a recurring job. */
export interface RecurringOptions {
  /** Cron expression: 5 fields, or 6 with seconds first (`'*\/10 * * * * *'`). */
  cron: string;
  /** IANA time zone the cron expression is read in. Default `'UTC'`. */
  timezone?: string;
  /** Missed occurrences (no server ran): `'once'` fires one job (default), `'all'` one per occurrence, `'skip'` none. */
  misfire?: MisfirePolicy;
  queue?: string;
  priority?: number;
  attempts?: number;
  timeout?: number | string | null;
  retention?: number | string | null;
  /** Day-of-month with day-of-week, both restricted: `'and'` (default, Hangfire's Cronos) or `'or'` (classic cron). */
  dayMatch?: 'and' | 'or';
  /** A run still unfinished when the next occurrence comes: `'allow'` (default), `'skip'`, `'queue'` or `'cancel'`. */
  overlap?: OverlapPolicy;
  /** Spreads a fleet of schedules over a window: each occurrence fires a fixed offset in `[0, jitter)` late, derived from the id. Default 0. */
  jitter?: Duration;
  /** No occurrence before this time. Default: none. */
  startAt?: Date | string;
  /** No occurrence after this time. Default: none. */
  endAt?: Date | string;
  /** The schedule ends after this many occurrence jobs (triggered jobs do not count). Default: no limit. */
  maxRuns?: number;
}

/** Longest stretch after its due time that a `'skip'` occurrence still fires. */
export const MISFIRE_GRACE_MS = 60_000;

/** The most occurrences one `backfill` call runs. */
export const BACKFILL_LIMIT = 1_000;

/** Output of {@link RecurringManager.backfill}. */
export interface BackfillResult {
  /** Every occurrence of the range, oldest first. */
  occurrences: Date[];
  /** Ids of the jobs created now. */
  jobIds: string[];
  /** Occurrences that already had a job: none was created for them. */
  refused: Date[];
}

/** One occurrence the scheduler handled, as the recurring job's history recorded it. */
export interface PreviousOccurrence {
  /** The occurrence: its scheduled time, without jitter. For `missed`, the last of the range. */
  occurrence: Date;
  /** `fired` (a job was created), `queued` (created waiting for the previous run), `skipped` (the previous run was unfinished) or `missed` (a range no server fired in time, left out by the misfire policy). */
  outcome: 'fired' | 'queued' | 'skipped' | 'missed';
  /** When the scheduler handled it (the storage's time). */
  at: Date;
  /** For `missed`: the first occurrence of the range; else null. */
  from: Date | null;
  /** The job created (`fired`, `queued`), or the unfinished previous run (`skipped`); else null. */
  jobId: string | null;
  /** That job's state now; null when there is no job or it has expired. */
  state: JobState | null;
  reason: string;
}

/** Output of {@link RecurringManager.occurrences}. */
export interface OccurrencesResult {
  /** The next runs after now, soonest first (jitter, start, end and run limit applied). */
  next: Date[];
  /** The latest occurrences the scheduler handled, latest first, from the recurring job's history: fired, queued, skipped or missed. */
  previous: PreviousOccurrence[];
}

const OCCURRENCE_EVENTS: ReadonlySet<string> = new Set(['fired', 'queued', 'skipped', 'missed']);

/**
 * What the recurring manager needs from its Spool: the storage, its opening, and the job builder.
 * @internal
 */
export interface RecurringManagerHost {
  readonly storage: Storage;
  init(): Promise<void>;
  readonly jobs: JobBuilder;
}

/** Manages recurring jobs: Hangfire's RecurringJob. Reached as `spool.recurring`. */
export class RecurringManager {
  readonly #spool: RecurringManagerHost;

  /** @internal Made by its Spool. */
  constructor(spool: RecurringManagerHost) {
    this.#spool = spool;
  }

  /**
   * Creates or updates a recurring job. Calling it again with the same schedule (as every host does
   * at boot) keeps the stored next run, so a restart neither skips nor repeats an occurrence.
   */
  async addOrUpdate<Args>(id: string, job: JobTarget<Args>, args: Args, options: RecurringOptions): Promise<RecurringRecord> {
    if (typeof id !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}$/.test(id)) {
      throw new ConfigError([{ path: 'recurring.id', message: `expected an id of letters, digits and _ . : - / (at most 200), got ${JSON.stringify(id)}` }]);
    }
    const o = resolveOptions<Record<string, unknown>>(
      {
        cron: { kind: 'string' },
        timezone: { kind: 'string', default: 'UTC' },
        misfire: { kind: 'oneOf', values: ['once', 'all', 'skip'], default: 'once' },
        queue: JOB_OPTION_RULES.queue,
        priority: JOB_OPTION_RULES.priority,
        attempts: JOB_OPTION_RULES.attempts,
        timeout: JOB_OPTION_RULES.timeout,
        retention: JOB_OPTION_RULES.retention,
        dayMatch: { kind: 'oneOf', values: ['and', 'or'], default: 'and' },
        overlap: { kind: 'oneOf', values: ['allow', 'skip', 'queue', 'cancel'], default: 'allow' },
        jitter: { kind: 'duration', default: 0, min: 0 },
        startAt: { kind: 'date', optional: true },
        endAt: { kind: 'date', optional: true },
        maxRuns: { kind: 'integer', min: 1, optional: true },
      },
      options,
      `recurring "${id}"`,
    );
    const settings: RecurringSettings = {
      dayMatch: o.dayMatch as 'and' | 'or',
      overlap: o.overlap as OverlapPolicy,
      jitterMs: o.jitter as number,
      startAt: (o.startAt as Date | undefined) ?? null,
      endAt: (o.endAt as Date | undefined) ?? null,
      maxRuns: (o.maxRuns as number | undefined) ?? null,
    };
    if (settings.startAt !== null && settings.endAt !== null && settings.endAt.getTime() < settings.startAt.getTime()) {
      throw new ConfigError([{ path: `recurring "${id}".endAt`, message: `expected a time at or after startAt (${settings.startAt.toISOString()}), got ${settings.endAt.toISOString()}` }]);
    }
    const coded = CronSchedule.parse(o.cron as string, o.timezone as string, `recurring "${id}"`, settings.dayMatch);
    const { name, base } = this.#spool.jobs.resolveTarget(job, options, `recurring "${id}"`);
    const jsonArgs = this.#spool.jobs.jsonArgs(args);
    await this.#spool.init();
    const existing = await this.#spool.storage.recurringGet({ id });
    // The code sets the default; an operator's schedule stays in force over it (and survives every
    // redeploy) until cleared, remembering the code's latest to go back to.
    const override = existing?.settings.override ?? null;
    if (override) settings.override = { ...override, code: { cron: coded.expression, timezone: coded.timezone } };
    const schedule = override ? this.#scheduleOf({ ...existing!, settings }) : coded;
    // The storage's clock, as the scheduler's: a host whose clock runs behind must not set a next
    // run that the storage's time has already passed.
    const now = new Date(await this.#spool.storage.now());
    const sameSchedule =
      existing !== null && existing.cron === schedule.expression && existing.timezone === schedule.timezone && sameTimes(existing.settings, settings);
    const nextRunAt = existing?.paused ? existing.nextRunAt : sameSchedule ? existing!.nextRunAt : firstRun(schedule, settings, id, existing?.runs ?? 0, now);
    await this.#spool.storage.recurringUpsert({
      recurring: {
        id,
        name,
        args: jsonArgs,
        cron: schedule.expression,
        timezone: schedule.timezone,
        queue: (o.queue as string | undefined) ?? base.queue,
        priority: (o.priority as number | undefined) ?? base.priority,
        maxAttempts: (o.attempts as number | undefined) ?? base.attempts,
        timeoutMs: o.timeout !== undefined ? toNullableMs(o.timeout, null) : base.timeoutMs,
        retentionMs: o.retention !== undefined ? toNullableMs(o.retention, null) : base.retentionMs,
        misfire: o.misfire as MisfirePolicy,
        settings,
        paused: existing?.paused ?? false,
        nextRunAt,
      },
    });
    return (await this.#spool.storage.recurringGet({ id }))!;
  }

  /** Removes a recurring job; the jobs it already created stay. False when it did not exist. */
  async remove(id: string): Promise<boolean> {
    await this.#spool.init();
    return this.#spool.storage.recurringRemove({ id });
  }

  /** Creates one job from the recurring job now, leaving its schedule as it is; returns the job id. */
  async trigger(id: string): Promise<string> {
    const record = await this.#require(id);
    const job = this.#occurrenceJob(record, new Date(await this.#spool.storage.now()), 'Triggered by request');
    // A triggered job is outside the schedule: it holds no occurrence.
    const history: NewRecurringHistory[] = [{ event: 'triggered', occurrence: null, from: null, jobId: job.id, reason: 'Triggered by request: one job now, outside the schedule' }];
    const { jobIds } = await this.#spool.storage.recurringFire({ id, jobs: [{ job, occurrence: null }], history });
    if (jobIds.length === 0) throw new RecurringNotFoundError(id);
    return jobIds[0]!;
  }

  /**
   * Sets an operator's schedule (cron expression and time zone) over the code's: in force at once
   * (the next run is the schedule's first after now) and kept by every later `addOrUpdate` until
   * {@link resetSchedule}. `paused` pauses or resumes it in the same call. See docs/recurring.md.
   */
  async setSchedule(id: string, schedule: { cron: string; timezone?: string; paused?: boolean }, options: { setBy?: string | null } = {}): Promise<RecurringRecord> {
    const record = await this.#require(id);
    const parsed = CronSchedule.parse(schedule.cron, schedule.timezone ?? record.timezone, `recurring "${id}"`, record.settings.dayMatch);
    const code = record.settings.override?.code ?? { cron: record.cron, timezone: record.timezone };
    const now = new Date(await this.#spool.storage.now());
    const settings: RecurringSettings = { ...record.settings, override: { code, setBy: options.setBy ?? null, setAt: now } };
    const paused = schedule.paused ?? record.paused;
    await this.#write(record, { cron: parsed.expression, timezone: parsed.timezone, settings, paused, nextRunAt: paused ? null : firstRun(parsed, settings, id, record.runs, now) });
    return (await this.#spool.storage.recurringGet({ id }))!;
  }

  /** Clears an operator's schedule: the code's latest is in force again. False when none was set. */
  async resetSchedule(id: string): Promise<boolean> {
    const record = await this.#require(id);
    const override = record.settings.override;
    if (!override) return false;
    const parsed = CronSchedule.parse(override.code.cron, override.code.timezone, `recurring "${id}"`, record.settings.dayMatch);
    const settings: RecurringSettings = { ...record.settings, override: null };
    const now = new Date(await this.#spool.storage.now());
    await this.#write(record, { cron: parsed.expression, timezone: parsed.timezone, settings, paused: record.paused, nextRunAt: record.paused ? null : firstRun(parsed, settings, id, record.runs, now) });
    return true;
  }

  /** Writes a recurring job again with a new schedule, keeping its template. */
  async #write(record: RecurringRecord, change: Pick<RecurringRecord, 'cron' | 'timezone' | 'settings' | 'paused' | 'nextRunAt'>): Promise<void> {
    const { createdAt: _c, updatedAt: _u, lastRunAt: _l, lastJobId: _j, runs: _r, ...template } = record;
    await this.#spool.storage.recurringUpsert({ recurring: { ...template, ...change } });
  }

  /** Pauses a recurring job: no occurrence fires until it is resumed. */
  async pause(id: string): Promise<void> {
    await this.#require(id);
    await this.#spool.storage.recurringPauseSet({ id, paused: true, nextRunAt: null });
  }

  /** Resumes a paused recurring job from its next occurrence after now (missed ones are skipped). */
  async resume(id: string): Promise<void> {
    const record = await this.#require(id);
    const next = firstRun(this.#scheduleOf(record), record.settings, id, record.runs, new Date(await this.#spool.storage.now()));
    await this.#spool.storage.recurringPauseSet({ id, paused: false, nextRunAt: next });
  }

  /** One recurring job, or null. */
  async get(id: string): Promise<RecurringRecord | null> {
    await this.#spool.init();
    return this.#spool.storage.recurringGet({ id });
  }

  /** Every recurring job, by id. */
  async list(): Promise<RecurringRecord[]> {
    await this.#spool.init();
    const all: RecurringRecord[] = [];
    for (;;) {
      const page = await this.#spool.storage.recurringList({ limit: 500, afterId: all.at(-1)?.id });
      all.push(...page);
      if (page.length < 500) return all;
    }
  }

  /**
   * Fires a due record by its misfire policy, judged at `now`: the storage's time, read with the
   * due records, never this process's clock (a server whose clock lags would see an occurrence as
   * still to come and fire it again; one whose clock runs ahead would fire early). Exactly once per
   * occurrence across servers: the storage creates the jobs only if the stored next run is still the
   * one this server read, and never creates a second job for an occurrence.
   * What a server's recurring scheduler calls for each record `storage.recurringDue` returns.
   */
  async fireDue(record: RecurringRecord, now: Date, graceMs = MISFIRE_GRACE_MS): Promise<RecurringFireResult> {
    const plan = planFiring(record, this.#scheduleOf(record), now, graceMs, DEFAULT_CATCH_UP_LIMIT);
    // Decided by construction in planFiring; checked here too because a next run at or before the
    // due one is what made one occurrence fire a thousand times.
    if (plan.next !== null && plan.next.getTime() <= record.nextRunAt!.getTime()) {
      throw new Error(`recurring "${record.id}": next run ${plan.next.toISOString()} is not after the due one, ${record.nextRunAt!.toISOString()}`);
    }
    const skipped = plan.skipped;
    let jobs: RecurringFireJob[] = plan.fire.map((at, i) => {
      const reason =
        `Recurring job ${record.id}: occurrence of ${at.toISOString()}` +
        (i === 0 && skipped ? ` (missed occurrences from ${skipped.from.toISOString()} to ${skipped.to.toISOString()} skipped by misfire policy '${record.misfire}')` : '');
      const job = this.#occurrenceJob(record, at, reason);
      if (i === 0 && skipped) job.parameters.recurringSkipped = { from: skipped.from.toISOString(), to: skipped.to.toISOString() };
      return { job, occurrence: at };
    });
    // What the history records, oldest occurrence first: the missed range, then each occurrence.
    const history: NewRecurringHistory[] = [];
    if (skipped) {
      history.push({
        event: 'missed',
        occurrence: skipped.to,
        from: skipped.from,
        jobId: null,
        reason: `Missed: no server fired the occurrences from ${skipped.from.toISOString()} to ${skipped.to.toISOString()} in time, and misfire policy '${record.misfire}' left them out`,
      });
    }
    let cancel: { id: string; reason: string } | null = null;
    if (jobs.length > 0 && record.settings.overlap !== 'allow') {
      const decided = await this.#applyOverlap(record, jobs);
      jobs = decided.jobs;
      cancel = decided.cancel;
      history.push(...decided.skipped);
    }
    for (const { job, occurrence } of jobs) {
      history.push({ event: job.state === 'awaiting' ? 'queued' : 'fired', occurrence, from: null, jobId: job.id, reason: job.reason });
    }
    history.sort((a, b) => a.occurrence!.getTime() - b.occurrence!.getTime());
    const result = await this.#spool.storage.recurringFire({ id: record.id, occurrence: { expected: record.nextRunAt!, next: plan.next }, jobs, history });
    // 'cancel' deletes the previous run only once its replacement exists: a firing that did not land
    // (another server fired the occurrence, or the record was paused, changed or removed meanwhile)
    // must not stop a run that nothing replaces.
    if (cancel !== null && result.fired && result.jobIds.length > 0) {
      await this.#spool.storage.jobSetState({ id: cancel.id, expected: ['scheduled', 'enqueued', 'awaiting', 'processing'], state: 'deleted', reason: cancel.reason });
    }
    return result;
  }

  /**
   * Runs every occurrence of `[from, to]` now, each once: an occurrence that already has a job (from
   * the schedule or an earlier backfill) is refused by the storage, not run again. `to` may not be
   * later than now; at most {@link BACKFILL_LIMIT} occurrences per call. The schedule is unchanged.
   */
  async backfill(id: string, range: { from: Date | string; to: Date | string }): Promise<BackfillResult> {
    const record = await this.#require(id);
    const r = resolveOptions<{ from: Date; to: Date }>({ from: { kind: 'date' }, to: { kind: 'date' } }, range, `backfill of "${id}"`);
    const now = await this.#spool.storage.now();
    if (r.to.getTime() > now) {
      throw new ConfigError([{ path: `backfill of "${id}".to`, message: `expected a time at or before now (${new Date(now).toISOString()}), got ${r.to.toISOString()}: later occurrences are the schedule's` }]);
    }
    const schedule = this.#scheduleOf(record);
    const occurrences: Date[] = [];
    for (let at = schedule.next(new Date(r.from.getTime() - 1)); at !== null && at.getTime() <= r.to.getTime(); at = schedule.next(at)) {
      if (occurrences.length === BACKFILL_LIMIT) {
        throw new ConfigError([{ path: `backfill of "${id}"`, message: `expected a range of at most ${BACKFILL_LIMIT} occurrences; split it into smaller ranges` }]);
      }
      occurrences.push(at);
    }
    const jobs = occurrences.map((at) => ({ job: this.#occurrenceJob(record, at, `Recurring job ${id}: backfill of the occurrence of ${at.toISOString()}`), occurrence: at }));
    if (jobs.length === 0) return { occurrences, jobIds: [], refused: [] };
    // One entry for the whole range, not one per job: a backfill of a thousand occurrences must not
    // push the schedule's own entries out of the history.
    const history: NewRecurringHistory[] = [
      {
        event: 'backfilled',
        occurrence: occurrences.at(-1)!,
        from: occurrences[0]!,
        jobId: null,
        reason: `Backfill asked for ${occurrences.length} occurrence${occurrences.length === 1 ? '' : 's'} from ${occurrences[0]!.toISOString()} to ${occurrences.at(-1)!.toISOString()}; those that already had a job were not run again`,
      },
    ];
    const { fired, jobIds, refused } = await this.#spool.storage.recurringFire({ id, jobs, history });
    if (!fired) throw new RecurringNotFoundError(id);
    return { occurrences, jobIds, refused };
  }

  /**
   * The next runs of a recurring job, and the latest occurrences its scheduler handled (fired,
   * queued, skipped by the overlap policy, or missed), each with its job's state now. The previous
   * ones come from the history, which keeps the latest {@link RECURRING_HISTORY_LIMIT} entries.
   */
  async occurrences(id: string, counts: { next?: number; previous?: number } = {}): Promise<OccurrencesResult> {
    const record = await this.#require(id);
    const c = resolveOptions<{ next: number; previous: number }>(
      { next: { kind: 'integer', default: 5, min: 0, max: 1000 }, previous: { kind: 'integer', default: 0, min: 0, max: RECURRING_HISTORY_LIMIT } },
      counts,
      `occurrences of "${id}"`,
    );
    const next = nextRuns(record, this.#scheduleOf(record), c.next);
    if (c.previous === 0) return { next, previous: [] };
    const handled = (await this.#spool.storage.recurringHistory({ id, limit: RECURRING_HISTORY_LIMIT }))
      .filter((e) => OCCURRENCE_EVENTS.has(e.event) && e.occurrence !== null)
      .slice(0, c.previous);
    const previous = await Promise.all(
      handled.map(async (e): Promise<PreviousOccurrence> => {
        const job = e.jobId === null ? null : await this.#spool.storage.jobGet({ id: e.jobId });
        return { occurrence: e.occurrence!, outcome: e.event as PreviousOccurrence['outcome'], at: e.at, from: e.from, jobId: e.jobId, state: job?.state ?? null, reason: e.reason };
      }),
    );
    return { next, previous };
  }

  /**
   * A recurring job's history, newest first: what the scheduler did with each occurrence (fired,
   * queued, skipped, missed) and the triggers and backfills asked for. The storage keeps the latest
   * {@link RECURRING_HISTORY_LIMIT} entries.
   */
  async history(id: string, options: { limit?: number } = {}): Promise<RecurringHistoryRecord[]> {
    await this.#require(id);
    const o = resolveOptions<{ limit: number }>({ limit: { kind: 'integer', default: 20, min: 0, max: RECURRING_HISTORY_LIMIT } }, options, `history of "${id}"`);
    return this.#spool.storage.recurringHistory({ id, limit: o.limit });
  }

  /**
   * The overlap policy, for a firing while the previous run may be unfinished: one read of the
   * previous job, only for records whose policy is not `'allow'`.
   */
  async #applyOverlap(
    record: RecurringRecord,
    jobs: RecurringFireJob[],
  ): Promise<{ jobs: RecurringFireJob[]; skipped: NewRecurringHistory[]; cancel: { id: string; reason: string } | null }> {
    const previous = record.lastJobId === null ? null : await this.#spool.storage.jobGet({ id: record.lastJobId });
    if (previous === null || STATE_FACTS[previous.state].final) return { jobs, skipped: [], cancel: null };
    const last = jobs.at(-1)!;
    // The occurrences that get no job leave an entry each in the history, naming the run in the way.
    const skip = (left: RecurringFireJob[], why: string): NewRecurringHistory[] =>
      left.map(({ occurrence }) => ({ event: 'skipped', occurrence, from: null, jobId: previous.id, reason: `Skipped: ${why}` }));
    const unfinished = `the previous run ${previous.id} is still ${previous.state}`;
    switch (record.settings.overlap) {
      case 'allow':
        return { jobs, skipped: [], cancel: null };
      case 'skip':
        return { jobs: [], skipped: skip(jobs, `${unfinished} (overlap policy 'skip')`), cancel: null };
      case 'queue':
        // One waits at most: a previous job that is itself waiting is the one queued already.
        if (previous.state === 'awaiting') return { jobs: [], skipped: skip(jobs, `${unfinished}, queued already (overlap policy 'queue': one waits at most)`), cancel: null };
        last.job.state = 'awaiting';
        last.job.parentId = previous.id;
        last.job.continueOn = 'finished';
        last.job.reason += `, queued behind ${previous.id}`;
        return { jobs: [last], skipped: skip(jobs.slice(0, -1), `${unfinished} (overlap policy 'queue': one waits at most)`), cancel: null };
      case 'cancel':
        last.job.reason += `, cancelling the previous run ${previous.id} (it was ${previous.state})`;
        return { jobs, skipped: [], cancel: { id: previous.id, reason: `Cancelled by recurring job ${record.id}: its occurrence of ${last.occurrence!.toISOString()} starts` } };
      default: {
        const never: never = record.settings.overlap;
        return never;
      }
    }
  }

  #scheduleOf(record: RecurringRecord): CronSchedule {
    return CronSchedule.parse(record.cron, record.timezone, `recurring "${record.id}"`, record.settings.dayMatch);
  }

  #occurrenceJob(record: RecurringRecord, at: Date, reason: string): NewJob {
    return {
      id: this.#spool.jobs.newId(),
      name: record.name,
      args: record.args,
      queue: record.queue,
      priority: record.priority,
      state: 'enqueued',
      runAt: null,
      maxAttempts: record.maxAttempts,
      timeoutMs: record.timeoutMs,
      retentionMs: record.retentionMs,
      backoff: null,
      uniqueKey: null,
      parentId: null,
      continueOn: null,
      recurringId: record.id,
      // An occurrence is due at its time: a time-to-live counts from it, also for one fired late.
      parameters: this.#spool.jobs.withDefinitionDeadline(record.name, this.#spool.jobs.keyed(record.name, { recurringOccurrence: at.toISOString() }, record.args), at.getTime()),
      reason,
    };
  }

  async #require(id: string): Promise<RecurringRecord> {
    await this.#spool.init();
    const record = await this.#spool.storage.recurringGet({ id });
    if (!record) throw new RecurringNotFoundError(id);
    return record;
  }
}

/** Whether two settings put occurrences at the same times (so a stored next run stays valid). */
function sameTimes(a: RecurringSettings, b: RecurringSettings): boolean {
  const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
  return a.dayMatch === b.dayMatch && a.jitterMs === b.jitterMs && ms(a.startAt) === ms(b.startAt) && ms(a.endAt) === ms(b.endAt) && a.maxRuns === b.maxRuns;
}

/** The next runs of a record, from its stored next run (jitter, start, end and run limit applied). */
function nextRuns(record: RecurringRecord, schedule: CronSchedule, nextCount: number): Date[] {
  const offset = jitterOffset(record.id, record.settings.jitterMs);
  const next: Date[] = [];
  const left = record.settings.maxRuns === null ? Infinity : record.settings.maxRuns - record.runs;
  let at = record.paused ? null : (record.nextRunAt ?? null);
  if (at !== null) at = new Date(at.getTime() - offset);
  while (at !== null && next.length < Math.min(nextCount, left)) {
    next.push(new Date(at.getTime() + offset));
    at = nextAllowed(schedule, record.settings, at);
  }
  return next;
}
