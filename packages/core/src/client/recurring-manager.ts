import { CronSchedule } from '../cron/cron-schedule.js';
import { ConfigError, RecurringNotFoundError } from '../errors.js';
import { JOB_OPTION_RULES, toNullableMs } from '../job/definition.js';
import { toJsonArgs } from '../job/json-args.js';
import type { MisfirePolicy, NewJob, RecurringRecord } from '../job/records.js';
import type { RecurringFireResult } from '../storage/contract.js';
import { resolveOptions } from '../options/resolve.js';
import type { JobTarget, Spool } from './spool.js';

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
}

/** Longest stretch after its due time that a `'skip'` occurrence still fires. */
export const MISFIRE_GRACE_MS = 60_000;

/** Manages recurring jobs: Hangfire's RecurringJob. Reached as `spool.recurring`. */
export class RecurringManager {
  constructor(private readonly spool: Spool) {}

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
      },
      options,
      `recurring "${id}"`,
    );
    const schedule = CronSchedule.parse(o.cron as string, o.timezone as string, `recurring "${id}"`);
    const { name, base } = this.spool.resolveTarget(job);
    const jsonArgs = toJsonArgs(args, this.spool.maxArgsBytes);
    await this.spool.init();
    const existing = await this.spool.storage.recurringGet({ id });
    // The storage's clock, as the scheduler's: a host whose clock runs behind must not set a next
    // run that the storage's time has already passed.
    const now = new Date(await this.spool.storage.now());
    const sameSchedule = existing !== null && existing.cron === schedule.expression && existing.timezone === schedule.timezone;
    const nextRunAt = existing?.paused ? existing.nextRunAt : sameSchedule ? existing!.nextRunAt : schedule.next(now);
    await this.spool.storage.recurringUpsert({
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
        paused: existing?.paused ?? false,
        nextRunAt,
      },
    });
    return (await this.spool.storage.recurringGet({ id }))!;
  }

  /** Removes a recurring job; the jobs it already created stay. False when it did not exist. */
  async remove(id: string): Promise<boolean> {
    await this.spool.init();
    return this.spool.storage.recurringRemove({ id });
  }

  /** Creates one job from the recurring job now, leaving its schedule as it is; returns the job id. */
  async trigger(id: string): Promise<string> {
    const record = await this.require(id);
    const job = this.occurrenceJob(record, new Date(await this.spool.storage.now()), 'Triggered by request');
    // A triggered job is outside the schedule: it holds no occurrence.
    const { jobIds } = await this.spool.storage.recurringFire({ id, jobs: [{ job, occurrence: null }] });
    if (jobIds.length === 0) throw new RecurringNotFoundError(id);
    return jobIds[0]!;
  }

  /** Pauses a recurring job: no occurrence fires until it is resumed. */
  async pause(id: string): Promise<void> {
    await this.require(id);
    await this.spool.storage.recurringPauseSet({ id, paused: true, nextRunAt: null });
  }

  /** Resumes a paused recurring job from its next occurrence after now (missed ones are skipped). */
  async resume(id: string): Promise<void> {
    const record = await this.require(id);
    const next = CronSchedule.parse(record.cron, record.timezone).next(new Date(await this.spool.storage.now()));
    await this.spool.storage.recurringPauseSet({ id, paused: false, nextRunAt: next });
  }

  /** One recurring job, or null. */
  async get(id: string): Promise<RecurringRecord | null> {
    await this.spool.init();
    return this.spool.storage.recurringGet({ id });
  }

  /** Every recurring job, by id. */
  async list(): Promise<RecurringRecord[]> {
    await this.spool.init();
    const all: RecurringRecord[] = [];
    for (;;) {
      const page = await this.spool.storage.recurringList({ limit: 500, afterId: all.at(-1)?.id });
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
   * @internal Used by the recurring scheduler.
   */
  async fireDue(record: RecurringRecord, now: Date, graceMs = MISFIRE_GRACE_MS): Promise<RecurringFireResult> {
    const schedule = CronSchedule.parse(record.cron, record.timezone, `recurring "${record.id}"`);
    const decision = schedule.occurrences(record.nextRunAt!, now, record.misfire, graceMs);
    // Decided by construction in CronSchedule; checked here too because a next run at or before the
    // occurrence just handled is what made one occurrence fire a thousand times.
    if (decision.next !== null && decision.next.getTime() <= decision.handled.getTime()) {
      throw new Error(`recurring "${record.id}": next run ${decision.next.toISOString()} is not after the occurrence handled, ${decision.handled.toISOString()}`);
    }
    const skipped = decision.skipped;
    const jobs = decision.fire.map((at, i) => {
      const reason =
        `Recurring job ${record.id}: occurrence of ${at.toISOString()}` +
        (i === 0 && skipped ? ` (missed occurrences from ${skipped.from.toISOString()} to ${skipped.to.toISOString()} skipped by misfire policy '${record.misfire}')` : '');
      const job = this.occurrenceJob(record, at, reason);
      if (i === 0 && skipped) job.parameters.recurringSkipped = { from: skipped.from.toISOString(), to: skipped.to.toISOString() };
      return { job, occurrence: at };
    });
    return this.spool.storage.recurringFire({ id: record.id, occurrence: { expected: record.nextRunAt!, next: decision.next }, jobs });
  }

  private occurrenceJob(record: RecurringRecord, at: Date, reason: string): NewJob {
    return {
      id: this.spool.newId(),
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
      parameters: { recurringOccurrence: at.toISOString() },
      reason,
    };
  }

  private async require(id: string): Promise<RecurringRecord> {
    await this.spool.init();
    const record = await this.spool.storage.recurringGet({ id });
    if (!record) throw new RecurringNotFoundError(id);
    return record;
  }
}
