import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import type {
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
  GateReading,
  LimitRecord,
  LimitsSetParams,
  AuditAppendParams,
  AuditEntry,
  AuditListParams,
  MetricsCount,
  MetricsExpireParams,
  MetricsReadParams,
  MetricsRecordParams,
  MetricsSeries,
  Clock,
  FlowStorage,
  Completion,
  FetchedJob,
  JobClaimParams,
  JobLeaseExtendParams,
  JobLeaseExtendResult,
  JobRecord,
  JobChangeParams,
  JobChangeResult,
  JobSetStateParams,
  JobSetStateResult,
  JobState,
  JobsCompleteParams,
  JobsCompleteResult,
  JobsCreateParams,
  JobsCreateResult,
  JobsFetchParams,
  Json,
  MonitoringApi,
  NewJob,
  NewLogRecord,
  RecurringDueResult,
  RecurringFireParams,
  RecurringFireResult,
  NewRecurringHistory,
  RecurringEvent,
  RecurringHistoryRecord,
  RecurringRecord,
  RecurringUpsert,
  ServerRecord,
  Storage,
  StorageCapabilities,
  StorageEvent,
} from '@spool/core';
import { ConfigError, EnqueueIncompleteError, StorageClosedError, causeVariant, completionIntent, scopeId } from '@spool/core';
import { StartOnce, encodeRecurringSettings, storableAuditEntry, storableCompletions, storableJobChange, storableLogs, storableNewJobs, storableParameter, storableRedrive, storableStateChange } from '@spool/core/storage-kit';

import { parseEvents } from './event-payload.js';
import type { DeadLettersHost } from './dead-letters.js';
import { listRedisDeadLetters, redisDeadLetterGroups, redriveRedisDeadLetters } from './dead-letters.js';
import { createReplacing, replacesDuplicates } from './duplicate-replace.js';
import { EventSubscriber } from './event-subscriber.js';
import { checkEvictionPolicy } from './eviction-check.js';
import { changeRedisJob } from './job-change.js';
import { claimGated, decodeGate, decodeLimitRecord } from './gated-claim.js';
import type { KeyedCursors } from './gated-claim.js';
import type { RawHash } from './job-decode.js';
import { decodeJob, decodeLeased, decodeRecurring, encodeLog } from './job-decode.js';
import type { RedisStorageOptions, ResolvedRedisStorageOptions } from './redis-options.js';
import { keyBase, resolveRedisOptions } from './redis-options.js';
import { RedisFlows } from './redis-flows.js';
import { RedisMonitoring } from './redis-monitoring.js';
import { ScriptRunner } from './script-runner.js';
import type { ScriptName } from './scripts/index.js';
import { translateError } from './translate-error.js';

/** The data layout version this package writes (kept in `{prefix}:meta`). */
export const LAYOUT_VERSION = 6;

/** Test-only hooks of the Redis storage. */
export interface RedisStorageRuntime {
  /** A clock to use instead of Redis `TIME` (tests with a ManualClock). */
  clock?: Clock;
}

/**
 * Spool's storage on Redis (ioredis): every operation is one Lua script, run by hash, so each is
 * atomic across every process and machine that shares the Redis. Time is Redis `TIME` (one clock
 * for all servers) unless a test injects one. Wake-up events travel by pub/sub; polling stays the
 * correctness path. Durability is Redis's: see docs/redis.md on persistence.
 */
export class RedisStorage implements Storage {
  readonly kind = 'redis';
  readonly capabilities: StorageCapabilities = Object.freeze({
    multiProcess: true,
    notifications: 'distributed',
    externalTransactions: false,
    // As durable as the Redis persistence settings make it (AOF with fsync everysec loses at most ~1 s).
    durable: true,
    // Limits are admitted by core in an optimistic two-step claim (see gated-claim.ts).
    flowControl: true,
    // Core decides the change; the script writes it guarded on the facts it was decided on (job-change.ts).
    waitingChanges: true,
    // Core decides on the holder's facts; the create writes it guarded on them (duplicate-replace.ts).
    replaceDuplicates: true,
    // The mark is written by every state change as its shape says; lists and redrives in dead-letters.ts.
    deadLetters: true,
    // Batches and flows: created in one script, settled by the members' own change scripts (decision 48).
    batches: true,
    handover: false,
  });
  readonly monitoring: MonitoringApi;
  readonly flows: FlowStorage;
  /** The options after defaults. */
  readonly options: ResolvedRedisStorageOptions;
  /** The key base of this storage, `{<prefix>}:`. */
  readonly keyBase: string;
  private readonly clock: Clock | null;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly scripts: ScriptRunner;
  /** Identifies this storage's messages on the events channel, so it skips its own. */
  private readonly origin = randomBytes(8).toString('hex');
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  /** When (storage time) this process last leased each job it may still run: filters stale remote events. */
  private readonly leasedAt = new Map<string, number>();
  /** Per queue, where this process's claims key by key go on reading (see claimGated). */
  private readonly keyedCursors = new Map<string, KeyedCursors>();
  private subscriber: EventSubscriber | null = null;
  private readonly deadLetterHost: DeadLettersHost;
  private readonly readying = new StartOnce(() => this.open());
  private isReady = false;
  private closed = false;

  constructor(options: RedisStorageOptions = {}, runtime: RedisStorageRuntime = {}) {
    this.options = resolveRedisOptions(options);
    this.clock = runtime.clock ?? null;
    this.keyBase = keyBase(this.options.prefix);
    if (this.options.client !== null) {
      this.client = this.options.client;
      this.ownsClient = false;
    } else {
      this.client = new Redis(this.options.url!, { lazyConnect: true });
      this.ownsClient = true;
      // Connection errors reach callers through their commands; an unhandled 'error' event would end the process.
      this.client.on('error', () => undefined);
    }
    this.scripts = new ScriptRunner(this.client, this.keyBase);
    this.deadLetterHost = {
      keyBase: this.keyBase,
      run: (name, doing, args) => this.run(name, doing, args),
      read: (doing, read) => this.read(doing, read),
      emitPayload: (payload) => this.emitPayload(payload),
    };
    this.monitoring = new RedisMonitoring(this.keyBase, (name, doing, args) => this.run(name, doing, args), (doing, read) => this.read(doing, read));
    this.flows = new RedisFlows({ run: (name, doing, args) => this.run(name, doing, args), jobsJson, emitPayload: (payload) => this.emitPayload(payload), maxJobsPerScript: MAX_JOBS_PER_SCRIPT });
  }

  async init(): Promise<void> {
    await this.ready();
  }

  async migrate(): Promise<{ applied: number[] }> {
    this.guard();
    await this.connect();
    await this.upgradeLayout();
    const applied = (await this.call('metaMigrate', 'migrating', [LAYOUT_VERSION])) as number[];
    return { applied: applied.map(Number) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.subscriber?.stop();
    await this.readying.current?.catch(() => undefined);
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }

  async now(): Promise<number> {
    this.guard();
    if (this.clock !== null) return this.clock.now();
    await this.ready();
    const [seconds, micros] = await this.read('reading the time', (c) => c.time());
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  subscribe(listener: (event: StorageEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.subscriber === null && !this.closed) this.startSubscriber();
    return () => {
      this.listeners.delete(listener);
    };
  }

  async jobsCreate(params: JobsCreateParams): Promise<JobsCreateResult> {
    if (params.jobs.length === 0) {
      this.guard();
      return { jobs: [] };
    }
    const jobs = storableNewJobs(params.jobs);
    const created: JobsCreateResult['jobs'] = [];
    // A script blocks every other client of Redis while it runs (about 25 µs a job here), so a large
    // batch goes in parts of a bounded size, in order: each part is atomic, the whole call is not.
    // A bounded queue's room is checked by the first part for the whole call (the later parts'
    // enqueued jobs counted ahead), so a call that does not fit writes nothing.
    for (let from = 0; from < jobs.length; from += MAX_JOBS_PER_SCRIPT) {
      const part = jobs.slice(from, from + MAX_JOBS_PER_SCRIPT);
      let reply: string[];
      try {
        reply = await this.createPart(part, from === 0 ? laterEnqueued(jobs, MAX_JOBS_PER_SCRIPT) : '{}');
      } catch (error) {
        if (from === 0) throw error;
        throw new EnqueueIncompleteError(
          created.map((j) => j.id),
          jobs.length,
          error,
        );
      }
      this.emitPayload(reply[reply.length - 1]!);
      created.push(...createResults(reply, 0, part.length));
    }
    return { jobs: created };
  }

  /** Creates one part of a create in one script: the plain create, or the one that replaces duplicates' holders. */
  private async createPart(part: NewJob[], later: string): Promise<string[]> {
    if (!replacesDuplicates(part)) return (await this.run('jobsCreate', 'creating jobs', [jobsJson(part), later])) as string[];
    return createReplacing(
      {
        keyBase: this.keyBase,
        runScript: (args) => this.run('jobsCreateReplacing', 'creating jobs', args),
        read: (doing, read) => this.read(doing, read),
        now: () => this.clock?.now() ?? Date.now(),
      },
      jobsJson(part),
      part,
      later,
    );
  }

  async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    if (params.limit <= 0 || params.queues.length === 0 || (params.names !== null && params.names.length === 0)) {
      this.guard();
      return [];
    }
    const jobs: FetchedJob[] = [];
    const leased = (id: string, token: string, raw: RawHash, now: number) => {
      jobs.push(decodeLeased(id, raw, { token, serverId: params.serverId, now, leaseMs: params.leaseMs }));
      this.noteLease(id, now);
    };
    // The claim script stops before a queue where limits may apply; that queue is claimed under
    // flow control, then the claim goes on with the queues after it. At most one pass per queue.
    let queues = [...new Set(params.queues)];
    let gatedLeft = params.gatedLimit ?? params.limit;
    while (queues.length > 0 && jobs.length < params.limit) {
      const args: Array<string | number> = [params.serverId, params.leaseMs, params.limit - jobs.length, tokenBase()];
      if (params.names === null) args.push(-1);
      else args.push(params.names.length, ...params.names);
      args.push(...queues);
      const reply = (await this.run('jobsFetch', 'fetching jobs', args)) as [number, number, ...Array<string | RawHash>];
      const now = Number(reply[0]);
      for (let i = 2; i < reply.length; i += 3) leased(reply[i] as string, reply[i + 1] as string, reply[i + 2] as RawHash, now);
      const stop = Number(reply[1]);
      if (stop === 0 || jobs.length >= params.limit) break;
      const wanted = Math.min(params.limit - jobs.length, gatedLeft);
      if (wanted <= 0) {
        queues = queues.slice(stop);
        continue;
      }
      const gated = await claimGated((name, doing, a) => this.run(name, doing, a), {
        queue: queues[stop - 1]!,
        names: params.names,
        wanted,
        serverId: params.serverId,
        leaseMs: params.leaseMs,
        tokenBase,
        cursors: this.keyedCursorsOf(queues[stop - 1]!),
      });
      for (const job of gated.leased) leased(job.id, job.token, job.raw, job.now);
      gatedLeft -= gated.leased.length;
      for (const payload of gated.payloads) this.emitPayload(payload);
      queues = queues.slice(stop);
    }
    return jobs;
  }

  async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    if (params.completions.length === 0) {
      this.guard();
      return { results: [] };
    }
    const args = [params.serverId, JSON.stringify(storableCompletions(params.completions).map(completionEntry))];
    // Let a fetch issued in the same turn go to Redis first: the server waits for the fetch to run
    // its next jobs, while nobody waits for a completion. Redis then records the outcomes while this
    // process starts the fetched jobs, instead of both waiting on each other.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const reply = (await this.run('jobsComplete', 'completing jobs', args)) as string[];
    this.emitPayload(reply[reply.length - 1]!);
    for (const c of params.completions) this.leasedAt.delete(c.id);
    return { results: params.completions.map((c, i) => ({ id: c.id, ok: reply[i] === '1' })) };
  }

  async jobClaim(params: JobClaimParams): Promise<FetchedJob | null> {
    const token = randomBytes(12).toString('hex');
    const reply = (await this.run('jobClaim', 'claiming a job', [params.id, params.expected.join(','), params.serverId, params.leaseMs, token])) as [
      number,
      string?,
      RawHash?,
    ];
    if (reply.length < 3) return null;
    this.noteLease(params.id, Number(reply[0]));
    return decodeLeased(params.id, reply[2]!, { token, serverId: params.serverId, now: Number(reply[0]), leaseMs: params.leaseMs });
  }

  async jobLeaseExtend(params: JobLeaseExtendParams): Promise<JobLeaseExtendResult> {
    if (params.leases.length === 0) {
      this.guard();
      return { lost: [] };
    }
    const args: Array<string | number> = [params.leaseMs];
    for (const lease of params.leases) args.push(lease.id, lease.leaseToken);
    return { lost: (await this.run('jobLeaseExtend', 'extending leases', args)) as string[] };
  }

  async jobChange(params: JobChangeParams): Promise<JobChangeResult> {
    return changeRedisJob(
      {
        readFacts: async (id) => {
          const v = await this.read('changing a waiting job', (c) => c.hmget(`${this.keyBase}job:${id}`, 'state', 'runAt', 'prio', 'queue'));
          return v[0] === null || v[0] === undefined ? null : [v[0], v[1] ?? '', v[2] ?? '0', v[3] ?? ''];
        },
        runScript: (args) => this.run('jobChange', 'changing a waiting job', args),
        now: () => this.clock?.now() ?? Date.now(),
        emitPayload: (payload) => this.emitPayload(payload),
      },
      storableJobChange(params),
    );
  }

  async deadLettersList(params: DeadLettersListParams): Promise<DeadLettersListResult> {
    return listRedisDeadLetters(this.deadLetterHost, params);
  }

  async deadLettersGroups(params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
    return redisDeadLetterGroups(this.deadLetterHost, params);
  }

  async deadLettersRedrive(params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult> {
    if (params.redrives.length === 0) {
      this.guard();
      return { results: [] };
    }
    return redriveRedisDeadLetters(this.deadLetterHost, storableRedrive(params));
  }

  async jobSetState(params: JobSetStateParams): Promise<JobSetStateResult> {
    params = storableStateChange(params);
    const args = [
      params.id,
      params.expected.join(','),
      params.state,
      params.reason,
      params.data === undefined ? '' : JSON.stringify(params.data),
      params.resetAttempts ? '1' : '0',
      params.error === undefined || params.error === null ? '' : JSON.stringify(params.error),
    ];
    const [ok, previous, payload] = (await this.run('jobSetState', 'changing a job state', args)) as [number, string, string];
    this.emitPayload(payload);
    return { ok: ok === 1, previous: previous === '' ? null : (previous as JobState) };
  }

  async jobGet(params: { id: string }): Promise<JobRecord | null> {
    const raw = await this.read('reading a job', (c) => c.hgetall(`${this.keyBase}job:${params.id}`));
    const flat = Object.entries(raw).flat();
    return flat.length === 0 ? null : decodeJob(params.id, flat);
  }

  async jobProgressSet(params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
    return (await this.run('jobProgressSet', 'setting progress', [params.id, params.leaseToken, params.progress])) === 1;
  }

  async jobLogsAppend(params: { entries: NewLogRecord[] }): Promise<void> {
    if (params.entries.length === 0) {
      this.guard();
      return;
    }
    const byJob = new Map<string, string[]>();
    for (const entry of storableLogs(params.entries)) {
      const lines = byJob.get(entry.jobId) ?? [];
      lines.push(encodeLog(entry));
      byJob.set(entry.jobId, lines);
    }
    const args: Array<string | number> = [];
    for (const [id, lines] of byJob) {
      args.push(id, lines.length);
      for (const line of lines) args.push(line);
    }
    await this.run('jobLogsAppend', 'appending logs', args);
  }

  async jobParameterSet(params: { id: string; key: string; value: Json }): Promise<boolean> {
    params = storableParameter(params);
    return (await this.run('jobParameterSet', 'setting a parameter', [params.id, params.key, JSON.stringify(params.value)])) === 1;
  }

  async jobExpirationSet(params: { id: string; ttlMs: number | null }): Promise<boolean> {
    return (await this.run('jobExpirationSet', 'setting an expiration', [params.id, params.ttlMs ?? ''])) === 1;
  }

  async jobsExpire(params: { limit: number }): Promise<{ deleted: number }> {
    return { deleted: Number(await this.run('jobsExpire', 'expiring jobs', [params.limit])) };
  }

  async scheduledPromoteDue(params: { limit: number }): Promise<{ promoted: number; nextDueAt: number | null }> {
    const [promoted, next, payload] = (await this.run('scheduledPromoteDue', 'promoting due jobs', [params.limit])) as [number, string, string];
    this.emitPayload(payload);
    return { promoted: Number(promoted), nextDueAt: next === '' ? null : Number(next) };
  }

  async leasesRescueExpired(params: { limit: number; maxRescues: number }): Promise<{ requeued: string[]; failed: string[] }> {
    const [requeued, failed, payload] = (await this.run('leasesRescueExpired', 'rescuing expired leases', [params.limit, params.maxRescues])) as [
      string[],
      string[],
      string,
    ];
    this.emitPayload(payload);
    return { requeued, failed };
  }

  async limitsSet(params: LimitsSetParams): Promise<void> {
    const args = [scopeId(params.scope), params.layer, params.limits === null ? '' : JSON.stringify(params.limits), params.setBy ?? ''];
    this.emitPayload((await this.run('limitsSet', 'setting limits', args)) as string);
  }

  async auditAppend(params: AuditAppendParams): Promise<AuditEntry> {
    const e = storableAuditEntry(params.entry);
    const [seq, at] = (await this.run('auditAppend', 'appending to the audit log', [JSON.stringify(e), params.keep])) as [number, number];
    return { ...e, seq: Number(seq), at: new Date(Number(at)) };
  }

  async auditList(params: AuditListParams): Promise<AuditEntry[]> {
    const reply = (await this.run('auditList', 'reading the audit log', [params.limit, params.before ?? ''])) as string[];
    return reply.map((json) => {
      const e = JSON.parse(json) as Omit<AuditEntry, 'at' | 'targets'> & { at: number; targets: string[] | Record<string, never> };
      // cjson writes an empty array as an empty object.
      return { ...e, targets: Array.isArray(e.targets) ? e.targets : [], at: new Date(e.at) };
    });
  }

  async metricsRecord(params: MetricsRecordParams): Promise<void> {
    const args: Array<string | number> = [];
    for (const c of params.counts) args.push(c.period, c.at.getTime(), JSON.stringify([c.name, c.queue, c.series, c.bin]), c.count);
    await this.run('metricsRecord', 'recording job metrics', args);
  }

  async metricsRead(params: MetricsReadParams): Promise<MetricsCount[]> {
    const reply = (await this.run('metricsRead', 'reading job metrics', [params.period, params.from.getTime(), params.to.getTime()])) as Array<string | string[]>;
    const counts: MetricsCount[] = [];
    for (let i = 0; i < reply.length; i += 2) {
      const at = new Date(Number(reply[i]));
      const fields = reply[i + 1] as string[];
      for (let f = 0; f < fields.length; f += 2) {
        const [name, queue, series, bin] = JSON.parse(fields[f]!) as [string, string, MetricsSeries, number];
        counts.push({ period: params.period, at, name, queue, series, bin, count: Number(fields[f + 1]) });
      }
    }
    return counts;
  }

  async metricsExpire(params: MetricsExpireParams): Promise<{ deleted: number }> {
    return { deleted: Number(await this.run('metricsExpire', 'expiring job metrics', [params.period, params.before.getTime()])) };
  }

  async limitsList(): Promise<LimitRecord[]> {
    const reply = (await this.run('limitsList', 'listing limits', [])) as string[];
    const records: Array<[string, LimitRecord]> = [];
    for (let i = 0; i < reply.length; i += 3) records.push([reply[i]!, decodeLimitRecord(reply[i]!, reply[i + 1]!, reply[i + 2]!)]);
    return records.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, record]) => record);
  }

  async limitsGates(params: { gates: readonly string[] }): Promise<GateReading[]> {
    if (params.gates.length === 0) return [];
    const values = (await this.run('limitsGates', 'reading gates', [...params.gates])) as Array<string | false | null>;
    return params.gates.flatMap((gate, i) => (typeof values[i] === 'string' && values[i] !== '' ? [{ gate, state: decodeGate(values[i] as string) }] : []));
  }

  async queuePauseSet(params: { queue: string; paused: boolean }): Promise<void> {
    this.emitPayload((await this.run('queuePauseSet', 'pausing a queue', [params.queue, params.paused ? '1' : '0'])) as string);
  }

  async recurringUpsert(params: { recurring: RecurringUpsert }): Promise<void> {
    const r = params.recurring;
    await this.run('recurringUpsert', 'saving a recurring job', [
      r.id,
      r.name,
      JSON.stringify(r.args),
      r.cron,
      r.timezone,
      r.queue,
      r.priority,
      r.maxAttempts,
      r.timeoutMs ?? '',
      r.retentionMs ?? '',
      r.misfire,
      r.paused ? '1' : '0',
      r.nextRunAt === null ? '' : r.nextRunAt.getTime(),
      encodeRecurringSettings(r.settings),
    ]);
  }

  async recurringGet(params: { id: string }): Promise<RecurringRecord | null> {
    const raw = await this.read('reading a recurring job', (c) => c.hgetall(`${this.keyBase}rc:${params.id}`));
    const flat = Object.entries(raw).flat();
    return flat.length === 0 ? null : decodeRecurring(params.id, flat);
  }

  async recurringList(params: { limit: number; afterId?: string }): Promise<RecurringRecord[]> {
    return decodeRecurringPairs((await this.run('recurringList', 'listing recurring jobs', [params.limit, params.afterId ?? ''])) as Array<string | RawHash>);
  }

  async recurringHistory(params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]> {
    if (params.limit <= 0) return [];
    const raw = await this.read('reading a recurring job history', (c) => c.lrange(`${this.keyBase}rch:${params.id}`, -params.limit, -1));
    return raw.reverse().map(decodeHistoryEntry);
  }

  async recurringRemove(params: { id: string }): Promise<boolean> {
    return (await this.run('recurringRemove', 'removing a recurring job', [params.id])) === 1;
  }

  async recurringPauseSet(params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean> {
    const args = [params.id, params.paused ? '1' : '0', params.nextRunAt === null ? '' : params.nextRunAt.getTime()];
    return (await this.run('recurringPauseSet', 'pausing a recurring job', args)) === 1;
  }

  async recurringDue(params: { limit: number }): Promise<RecurringDueResult> {
    const [now, ...pairs] = (await this.run('recurringDue', 'reading due recurring jobs', [params.limit])) as [string, ...Array<string | RawHash>];
    return { now: new Date(Number(now)), records: decodeRecurringPairs(pairs) };
  }

  async recurringFire(params: RecurringFireParams): Promise<RecurringFireResult> {
    const o = params.occurrence;
    const args: Array<string | number> = [
      params.id,
      o ? '1' : '0',
      o ? o.expected.getTime() : '',
      o && o.next !== null ? o.next.getTime() : '',
      jobsJson(params.jobs.map(({ job }) => ({ ...job, recurringId: params.id }))),
      JSON.stringify(params.jobs.map(({ occurrence }) => (occurrence === null ? '' : String(occurrence.getTime())))),
      ...historyArgs(params.history ?? []),
    ];
    const reply = (await this.run('recurringFire', 'firing a recurring job', args)) as Array<number | string>;
    this.emitPayload(reply[reply.length - 1] as string);
    if (reply[0] !== 1) return { fired: false, jobIds: [], refused: [] };
    const refusedCount = Number(reply[1]);
    const refused = (reply.slice(2, 2 + refusedCount) as string[]).map((ms) => new Date(Number(ms)));
    const created = (reply.length - 3 - refusedCount) / 3;
    return { fired: true, jobIds: createResults(reply.slice(1 + refusedCount) as string[], 1, created).map((r) => r.id), refused };
  }

  async serverHeartbeat(params: { server: Omit<ServerRecord, 'heartbeatAt'> }): Promise<void> {
    const s = params.server;
    const record = JSON.stringify({
      hostname: s.hostname,
      pid: s.pid,
      queues: s.queues,
      concurrency: s.concurrency,
      jobNames: s.jobNames,
      running: s.running,
      startedAt: new Date(s.startedAt).getTime(),
    });
    await this.run('serverHeartbeat', 'recording a heartbeat', [s.id, record]);
  }

  async serverRemove(params: { id: string }): Promise<void> {
    await this.run('serverRemove', 'removing a server', [params.id]);
  }

  async serversRemoveDead(params: { timeoutMs: number }): Promise<string[]> {
    return (await this.run('serversRemoveDead', 'removing dead servers', [params.timeoutMs])) as string[];
  }

  // ---- internals -------------------------------------------------------------------------------

  private guard(): void {
    if (this.closed) throw new StorageClosedError('redis');
  }

  private async connect(): Promise<void> {
    if (this.client.status === 'wait') await this.client.connect().catch((error: unknown) => Promise.reject(translateError(error, 'connecting')));
  }

  /**
   * Refuses a database index the server does not have. The client selects it when it connects and,
   * when Redis says no, only emits an error event and goes on in database 0: another installation's
   * keys. Selecting it again here turns that into an error at start.
   */
  private async checkDatabase(): Promise<void> {
    const db = this.client.options.db ?? 0;
    if (db === 0 || !this.ownsClient) return;
    try {
      await this.client.select(db);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ConfigError([
        { path: 'Redis storage options.url', message: `Redis refused database ${db} (${message}); use an index below the server's \`databases\` setting (16 by default)` },
      ]);
    }
  }

  /** The storage, opened once ({@link open}); a failed opening is tried again by the next call. */
  private ready(): Promise<void> {
    this.guard();
    if (this.isReady) return Promise.resolve();
    return this.readying.run();
  }

  /** Connects, refuses an evicting Redis, loads the scripts and records the layout version. */
  private async open(): Promise<void> {
    await this.connect();
    await this.checkDatabase();
    try {
      if (!this.options.allowEvictionPolicy) await checkEvictionPolicy(this.client);
      await this.scripts.load();
    } catch (error) {
      throw translateError(error, 'opening the storage');
    }
    await this.upgradeLayout();
    await this.call('metaMigrate', 'migrating', [LAYOUT_VERSION]);
    this.isReady = true;
    if (this.listeners.size > 0 && this.subscriber === null) this.startSubscriber();
  }

  /**
   * The data steps of moving up from an older layout, before the version is recorded (so a start
   * that stops half-way does them again; each is idempotent). From layout 1: the jobs that layout 1
   * wrote for recurring occurrences get the occurrence keys of layout 2, in batches of 1,000 jobs
   * (one script each, so other clients are not held for long).
   */
  private async upgradeLayout(): Promise<void> {
    const stored = await this.client.hget(`${this.keyBase}meta`, 'version').catch((error: unknown) => {
      throw translateError(error, 'migrating');
    });
    if (stored === null) return;
    if (Number(stored) < 2) {
      let cursor = '';
      do {
        [cursor] = (await this.call('layoutIndexOccurrences', 'migrating', [cursor, 1000])) as [string, number];
      } while (cursor !== '');
    }
    if (Number(stored) < 5) await this.indexJobNames();
    if (Number(stored) < 6) await this.indexLimitKeys();
  }

  /**
   * The upgrade to layout 6: the enqueued jobs that carry a limit key join the key index, read from
   * each queue's runnable sets (`rq:<queue>|<name>`, found by a scan of the keys in steps of 1,000),
   * 1,000 jobs a script, so other clients are not held for long.
   */
  private async indexLimitKeys(): Promise<void> {
    const runnable = `${this.keyBase}rq:`;
    await this.scanKeys(runnable, async (keys) => {
      for (const key of keys) {
        const [queue, name] = key.slice(runnable.length).split('|') as [string, string];
        let from = 0;
        while (from >= 0) from = Number(await this.call('layoutIndexKeys', 'migrating', [queue, name, from, 1000]));
      }
    });
  }

  /** Calls `each` with the keys that start with `prefix`, a step of a scan of 1,000 at a time. */
  private async scanKeys(prefix: string, each: (keys: string[]) => Promise<void>): Promise<void> {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000).catch((error: unknown) => {
        throw translateError(error, 'migrating');
      });
      cursor = next;
      const found = keys.filter((key) => key.startsWith(prefix));
      if (found.length > 0) await each(found);
    } while (cursor !== '0');
  }

  /**
   * The upgrade to layout 5: every name that has a per-name index of jobs (`in:<name>`) joins
   * `names`. A scan of the keys in steps of 1,000, so other clients are not held for long.
   */
  private async indexJobNames(): Promise<void> {
    const byName = `${this.keyBase}in:`;
    await this.scanKeys(byName, async (keys) => {
      await this.client.sadd(`${this.keyBase}names`, ...keys.map((key) => key.slice(byName.length))).catch((error: unknown) => {
        throw translateError(error, 'migrating');
      });
    });
  }

  /** Runs one script once the storage is ready. */
  private async run(name: ScriptName, doing: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    this.guard();
    if (!this.isReady) await this.ready();
    return this.call(name, doing, args);
  }

  private async call(name: ScriptName, doing: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await this.scripts.run(name, this.clock === null ? null : this.clock.now(), this.origin, args);
    } catch (error) {
      throw translateError(error, doing);
    }
  }

  /** Runs plain reads once the storage is ready. */
  private async read<T>(doing: string, read: (client: Redis) => Promise<T>): Promise<T> {
    this.guard();
    if (!this.isReady) await this.ready();
    try {
      return await read(this.client);
    } catch (error) {
      throw translateError(error, doing);
    }
  }

  private emitPayload(payload: string | undefined): void {
    if (!payload || this.listeners.size === 0) return;
    this.emit(parseEvents(payload));
  }

  private emit(events: StorageEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          // The write has happened: a failing listener must not make it look failed.
          process.emitWarning(`A Spool storage event listener threw: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }

  /** The cursors of one queue's claims key by key. */
  private keyedCursorsOf(queue: string): KeyedCursors {
    let cursors = this.keyedCursors.get(queue);
    if (cursors === undefined) {
      cursors = { keys: {}, walks: {} };
      this.keyedCursors.set(queue, cursors);
    }
    return cursors;
  }

  /** Remembers when a job was leased here (bounded: the oldest entries go first). */
  private noteLease(id: string, at: number): void {
    this.leasedAt.delete(id);
    this.leasedAt.set(id, at);
    if (this.leasedAt.size > 100_000) {
      let drop = 10_000;
      for (const key of this.leasedAt.keys()) {
        this.leasedAt.delete(key);
        if (--drop === 0) break;
      }
    }
  }

  private startSubscriber(): void {
    if (!this.isReady) return;
    const connection = this.client.duplicate({ lazyConnect: false, enableAutoPipelining: false });
    this.subscriber = new EventSubscriber(
      connection,
      `${this.keyBase}events`,
      this.origin,
      (events) => this.emit(events),
      () => this.catchUpEvents(),
      (id, at) => (this.leasedAt.get(id) ?? -Infinity) > at,
    );
    this.subscriber.start().catch(() => undefined);
  }

  /** Wake-ups after a reconnection: every queue that holds jobs, and the earliest due time. */
  private async catchUpEvents(): Promise<StorageEvent[]> {
    const [queues, earliest] = await Promise.all([
      this.client.smembers(`${this.keyBase}queues`),
      this.client.zrange(`${this.keyBase}scheduled`, 0, 0, 'WITHSCORES'),
    ]);
    const events: StorageEvent[] = [];
    if (queues.length > 0) events.push({ type: 'jobs-enqueued', queues });
    if (earliest[1] !== undefined) events.push({ type: 'jobs-scheduled', earliestRunAt: Number(earliest[1]) });
    return events;
  }
}

/** A fresh lease token base: jobs leased by one script share it, numbered. */
function tokenBase(): string {
  return `${randomBytes(8).toString('hex')}.`;
}

/** The jobs to create as one JSON argument, in the order the scripts' `read_jobs` reads them. */
function jobsJson(jobs: readonly NewJob[]): string {
  return JSON.stringify(jobs.map(jobEntry));
}

function jobEntry(job: NewJob): string[] {
  const entry = [
    job.id,
    job.name,
    job.queue,
    String(job.priority),
    job.state,
    job.runAt === null ? '' : String(new Date(job.runAt).getTime()),
    String(job.maxAttempts),
    job.timeoutMs === null ? '' : String(job.timeoutMs),
    job.retentionMs === null ? '' : String(job.retentionMs),
    job.backoff === null ? '' : JSON.stringify(job.backoff),
    job.uniqueKey ?? '',
    job.parentId ?? '',
    job.continueOn ?? '',
    job.recurringId ?? '',
    JSON.stringify(job.args),
    job.reason,
  ];
  for (const key in job.parameters) entry.push(key, JSON.stringify(job.parameters[key]));
  return entry;
}

/** One completion as `jobs_complete` reads it: id, token, state, reason, cause variant, value, run at, history data. */
function completionEntry(completion: Completion): string[] {
  const { to, cause, reason, data } = completionIntent(completion.outcome);
  const history = data === null ? '' : JSON.stringify(data);
  const variant = causeVariant(cause);
  switch (cause.kind) {
    case 'succeeded':
      return [completion.id, completion.leaseToken, to, reason, variant, JSON.stringify(cause.result ?? null), '', history];
    case 'failed':
      return [completion.id, completion.leaseToken, to, reason, variant, JSON.stringify(cause.error), '', history];
    case 'retry':
      return [completion.id, completion.leaseToken, to, reason, variant, JSON.stringify(cause.error), String(cause.runAt), history];
    case 'snooze':
      return [completion.id, completion.leaseToken, to, reason, variant, cause.pauseGates === undefined ? '' : JSON.stringify(cause.pauseGates), String(cause.runAt), history];
    default:
      return [completion.id, completion.leaseToken, to, reason, variant, '', '', history];
  }
}

/** Reads `count` (id, created, state) triples from a script reply starting at `from`. */
/**
 * Most jobs one creation script takes. A script of 1,000 jobs runs in about 25 ms; one of 20,000
 * held every other client of Redis for half a second, and one of 100,000 would near the 5 s limit.
 */
export const MAX_JOBS_PER_SCRIPT = 1000;

/** The jobs created enqueued per queue after the first `first` of a call, as the create script's JSON argument. */
function laterEnqueued(jobs: readonly NewJob[], first: number): string {
  if (jobs.length <= first) return '{}';
  const later: Record<string, number> = {};
  for (const job of jobs.slice(first)) if (job.state === 'enqueued') later[job.queue] = (later[job.queue] ?? 0) + 1;
  return JSON.stringify(later);
}

function createResults(reply: string[], from: number, count: number): JobsCreateResult['jobs'] {
  const jobs: JobsCreateResult['jobs'] = [];
  for (let i = 0; i < count; i++) {
    const at = from + i * 3;
    jobs.push({ id: reply[at]!, created: reply[at + 1] === '1', state: reply[at + 2] as JobState });
  }
  return jobs;
}

function decodeRecurringPairs(reply: Array<string | RawHash>): RecurringRecord[] {
  const records: RecurringRecord[] = [];
  for (let i = 0; i < reply.length; i += 2) records.push(decodeRecurring(reply[i] as string, reply[i + 1] as RawHash));
  return records;
}

/** The history entries of a firing as script arguments: their count, then the job id each names and its JSON. */
function historyArgs(entries: NewRecurringHistory[]): string[] {
  const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
  return [
    String(entries.length),
    ...entries.flatMap((e) => [e.jobId ?? '', JSON.stringify([e.event, ms(e.occurrence), ms(e.from), e.jobId, e.reason])]),
  ];
}

/** One stored history entry, `<at ms> <JSON>`, as a record. */
function decodeHistoryEntry(raw: string): RecurringHistoryRecord {
  const space = raw.indexOf(' ');
  const [event, occurrence, from, jobId, reason] = JSON.parse(raw.slice(space + 1)) as [RecurringEvent, number | null, number | null, string | null, string];
  const date = (v: number | null): Date | null => (v === null ? null : new Date(v));
  return { at: new Date(Number(raw.slice(0, space))), event, occurrence: date(occurrence), from: date(from), jobId, reason };
}
