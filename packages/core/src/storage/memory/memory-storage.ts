import { JobNotFoundError, StorageClosedError } from '../../errors.js';
import type { FetchedJob, JobRecord, Json, NewJob, RecurringHistoryRecord, RecurringRecord, ServerRecord } from '../../job/records.js';
import type { JobState } from '../../states/states.js';
import { STATE_FACTS, canTransition, initialState } from '../../states/states.js';
import { boundedAdditions, checkQueueRoom, queueBoundsInForce } from '../../limits/queue-bound.js';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type { StorageCapabilities } from '../capabilities.js';
import type {
  JobChangeParams,
  JobChangeResult,
  JobClaimParams,
  JobLeaseExtendParams,
  JobLeaseExtendResult,
  JobSetStateParams,
  JobSetStateResult,
  JobsCompleteParams,
  JobsCompleteResult,
  JobsCreateParams,
  JobsCreateResult,
  JobsFetchParams,
  GateReading,
  LimitRecord,
  LimitsSetParams,
  MonitoringApi,
  NewLogRecord,
  RecurringDueResult,
  RecurringFireParams,
  RecurringFireResult,
  RecurringUpsert,
  Storage,
  StorageEvent,
} from '../contract.js';
import { RECURRING_HISTORY_LIMIT } from '../contract.js';
import { recurringHistoryToWrite } from '../recurring-history.js';
import { storableAuditEntry, storableCompletions, storableJobChange, storableLogs, storableNewJobs, storableParameter, storableRedrive, storableStateChange } from '../storable-text.js';
import { MemoryEvents } from './memory-events.js';
import { decideDuplicate, decideJobChange } from '../../states/job-change.js';
import { CLAIM_NOW_INTENT, PROMOTION_INTENT, limitSkipIntent, operatorIntent, rescueIntent } from '../../states/change-intents.js';
import { isLimited, skippedReason } from '../../limits/admission.js';
import { MemoryJobChanges } from './memory-job-changes.js';
import { MemoryHandover } from './memory-handover.js';
import { MemoryFlows } from './memory-flows.js';
import type { AuditAppendParams, AuditEntry, AuditListParams } from '../audit-contract.js';
import type {
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
} from '../dead-letters-contract.js';
import { MemoryDeadLetters } from './memory-dead-letters.js';
import type { MetricsCount, MetricsExpireParams, MetricsReadParams, MetricsRecordParams } from '../metrics-contract.js';
import { MemoryLimits } from './memory-limits.js';
import { MemoryMetrics } from './memory-metrics.js';
import { MemoryMonitoring } from './memory-monitoring.js';
import type { MemoryJob } from './memory-state.js';
import { MemoryState, occurrenceKey, toFetched, toRecord } from './memory-state.js';

/** Test-only hooks of the memory storage. */
export interface MemoryStorageRuntime {
  clock?: Clock;
}

/**
 * A real storage kept in the memory of one process: the reference implementation of the contract,
 * and the storage for tests. Nothing survives the process.
 */
export class MemoryStorage implements Storage {
  readonly kind = 'memory';
  readonly capabilities: StorageCapabilities = Object.freeze({
    multiProcess: false,
    notifications: 'local',
    externalTransactions: false,
    durable: false,
    flowControl: true,
    waitingChanges: true,
    replaceDuplicates: true,
    deadLetters: true,
    batches: true,
    handover: true,
  });
  readonly monitoring: MonitoringApi;
  private readonly state = new MemoryState();
  private readonly flow = new MemoryLimits(this.state);
  private readonly metrics = new MemoryMetrics();
  private readonly audit: AuditEntry[] = [];
  private auditSeq = 0;
  private readonly changes = new MemoryJobChanges(this.state, this.flow);
  private readonly handover = new MemoryHandover(this.state, this.changes, this.flow);
  private readonly clock: Clock;
  private readonly deadLetters: MemoryDeadLetters;
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  private closed = false;

  readonly flows: MemoryFlows;

  constructor(runtime: MemoryStorageRuntime = {}) {
    this.clock = runtime.clock ?? systemClock;
    this.monitoring = new MemoryMonitoring(this.state, () => this.guard());
    this.deadLetters = new MemoryDeadLetters(this.state, this.changes, this.clock, (events) => this.emit(events));
    this.flows = new MemoryFlows(this.state, this.changes, {
      now: () => this.clock.now(),
      guard: () => this.guard(),
      emit: (events) => this.emit(events),
      checkRoom: (jobs) => this.checkRoom(jobs),
    });
    this.changes.flowSettler = (job, change, now, move) => this.flows.settle(job, change, now, move);
  }

  async init(): Promise<void> {
    this.guard();
  }

  async migrate(): Promise<{ applied: number[] }> {
    this.guard();
    return { applied: [] };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  subscribe(listener: (event: StorageEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async jobsCreate(params: JobsCreateParams): Promise<JobsCreateResult> {
    this.guard();
    return this.createJobs(params);
  }

  /**
   * Creates jobs without yielding, so that callers can make it part of a larger atomic step.
   * `bounded`: refuse a batch that does not fit its bounded queues (recurring firings are not refused).
   */
  private createJobs(params: JobsCreateParams, bounded = true): JobsCreateResult {
    params = { ...params, jobs: storableNewJobs(params.jobs) };
    const now = this.clock.now();
    // Validate every parent first, so that a missing parent writes nothing.
    for (const job of params.jobs) {
      if (job.parentId !== null && !this.state.jobs.has(job.parentId) && !params.jobs.some((j) => j.id === job.parentId)) {
        throw new JobNotFoundError(job.parentId);
      }
    }
    if (bounded) this.checkRoom(params.jobs);
    const results: JobsCreateResult['jobs'] = [];
    const events = new MemoryEvents();
    for (const input of params.jobs) {
      const holder = input.uniqueKey !== null ? this.state.jobs.get(this.state.unique.get(input.uniqueKey) ?? '') : undefined;
      if (holder !== undefined) {
        const duplicate = decideDuplicate(holder, input);
        if (duplicate.action === 'replace') this.changeJob({ id: holder.id, change: duplicate.change, cause: 'duplicate' }, events);
        if (duplicate.action !== 'take-over') {
          results.push({ id: holder.id, created: false, state: holder.state });
          continue;
        }
        // The holder has started: it gives its key up to the new job.
        holder.uniqueKey = null;
        this.state.unique.delete(input.uniqueKey!);
      }
      results.push({ id: input.id, created: true, state: this.changes.insert(input, now, events) });
    }
    this.emit(events);
    return { jobs: results };
  }

  /** Refuses a create that does not fit its bounded queues (before anything is written: all or none). */
  private checkRoom(jobs: readonly NewJob[]): void {
    const bounds = queueBoundsInForce([...this.state.limits.values()]);
    if (bounds.size === 0) return;
    const planned = new Map<string, JobState>();
    const keys = new Set<string>();
    const created: Array<{ queue: string; state: JobState }> = [];
    for (const input of jobs) {
      const holder = input.uniqueKey === null ? undefined : this.state.jobs.get(this.state.unique.get(input.uniqueKey) ?? '');
      if (holder !== undefined && decideDuplicate(holder, input).action !== 'take-over') continue;
      if (input.uniqueKey !== null && keys.has(input.uniqueKey)) continue;
      const parentState = input.parentId === null ? undefined : (planned.get(input.parentId) ?? this.state.jobs.get(input.parentId)?.state);
      const { state } = initialState(input, parentState);
      if (input.uniqueKey !== null && STATE_FACTS[state].active) keys.add(input.uniqueKey);
      planned.set(input.id, state);
      created.push({ queue: input.queue, state });
    }
    checkQueueRoom(bounds, boundedAdditions(bounds, created), (queue) => {
      let size = 0;
      for (const byId of this.state.enqueued.get(queue)?.values() ?? []) size += byId.size;
      return size;
    });
  }

  async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    this.guard();
    const now = this.clock.now();
    const names = params.names ? new Set(params.names) : null;
    const inForce = this.flow.inForce();
    const fetched: FetchedJob[] = [];
    let gatedLeft = params.gatedLimit ?? params.limit;
    for (const queue of params.queues) {
      if (fetched.length >= params.limit) break;
      if (this.state.pausedQueues.has(queue)) continue;
      const byPriority = this.state.enqueued.get(queue);
      if (!byPriority) continue;
      const candidates: MemoryJob[] = [];
      const wanted = params.limit - fetched.length;
      let limited = false;
      for (const priority of [...byPriority.keys()].sort((a, b) => b - a)) {
        for (const job of byPriority.get(priority)!.values()) {
          // Without limits the first `wanted` jobs start; with them, admission reads on past the held.
          if (!limited && candidates.length >= wanted) break;
          if (names !== null && !names.has(job.name)) continue;
          candidates.push(job);
          limited ||= isLimited(inForce, queue, job.name);
        }
      }
      if (!limited) {
        for (const job of candidates.slice(0, wanted)) {
          this.changes.startProcessing(job, now, params.serverId, params.leaseMs);
          fetched.push(toFetched(job));
        }
        continue;
      }
      const { admitted, skipped } = this.flow.admit(candidates, inForce, now, Math.min(wanted, gatedLeft));
      gatedLeft -= admitted.length;
      for (const { job, gates } of admitted) {
        this.changes.startProcessing(job, now, params.serverId, params.leaseMs, gates);
        fetched.push(toFetched(job));
      }
      const events = new MemoryEvents();
      for (const { job, gate } of skipped) this.changes.transition(job, limitSkipIntent(gate, skippedReason(gate)), now, null, events);
      this.emit(events);
    }
    return fetched;
  }

  async limitsSet(params: LimitsSetParams): Promise<void> {
    this.guard();
    this.flow.set(structuredClone(params), this.clock.now());
    // Limits raised or cleared may let held-back jobs start.
    const events = new MemoryEvents();
    for (const queue of this.state.enqueued.keys()) events.enqueued(queue);
    this.emit(events);
  }

  async limitsList(): Promise<LimitRecord[]> {
    this.guard();
    return this.flow.list();
  }

  async limitsGates(params: { gates: readonly string[] }): Promise<GateReading[]> {
    this.guard();
    return params.gates.flatMap((gate) => {
      const state = this.state.gates.get(gate);
      return state ? [{ gate, state: { ...state } }] : [];
    });
  }

  async auditAppend(params: AuditAppendParams): Promise<AuditEntry> {
    this.guard();
    const entry: AuditEntry = { ...structuredClone(storableAuditEntry(params.entry)), seq: ++this.auditSeq, at: new Date(this.clock.now()) };
    this.audit.push(entry);
    if (this.audit.length > params.keep) this.audit.splice(0, this.audit.length - params.keep);
    return structuredClone(entry);
  }

  async auditList(params: AuditListParams): Promise<AuditEntry[]> {
    this.guard();
    const found: AuditEntry[] = [];
    for (let i = this.audit.length - 1; i >= 0 && found.length < params.limit; i--) {
      const entry = this.audit[i]!;
      if (params.before === undefined || entry.seq < params.before) found.push(structuredClone(entry));
    }
    return found;
  }

  async metricsRecord(params: MetricsRecordParams): Promise<void> {
    this.guard();
    this.metrics.record(params);
  }

  async metricsRead(params: MetricsReadParams): Promise<MetricsCount[]> {
    this.guard();
    return this.metrics.read(params);
  }

  async metricsExpire(params: MetricsExpireParams): Promise<{ deleted: number }> {
    this.guard();
    return this.metrics.expire(params);
  }

  async jobClaim(params: JobClaimParams): Promise<FetchedJob | null> {
    this.guard();
    const job = this.state.jobs.get(params.id);
    if (!job || !params.expected.includes(job.state) || job.state === 'processing') return null;
    const now = this.clock.now();
    if (job.state !== 'enqueued') {
      this.changes.transition(job, CLAIM_NOW_INTENT, now, null, new MemoryEvents());
    }
    this.changes.startProcessing(job, now, params.serverId, params.leaseMs);
    return toFetched(job);
  }

  async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    this.guard();
    const now = this.clock.now();
    const events = new MemoryEvents();
    const completions = storableCompletions(params.completions);
    if (params.handover !== undefined) {
      const result = this.handover.complete(params, completions, now, events);
      this.emit(events);
      return result;
    }
    const results = completions.map((completion) => ({
      id: completion.id,
      ok: this.changes.complete(completion, now, params.serverId, events),
    }));
    this.emit(events);
    return { results };
  }

  async jobLeaseExtend(params: JobLeaseExtendParams): Promise<JobLeaseExtendResult> {
    this.guard();
    const now = this.clock.now();
    const lost: string[] = [];
    for (const lease of params.leases) {
      const job = this.state.jobs.get(lease.id);
      if (!job || job.state !== 'processing' || job.leaseToken !== lease.leaseToken) {
        lost.push(lease.id);
        continue;
      }
      job.leaseExpiresAt = new Date(now + params.leaseMs);
    }
    return { lost };
  }

  async jobChange(params: JobChangeParams): Promise<JobChangeResult> {
    this.guard();
    const events = new MemoryEvents();
    const result = this.changeJob(storableJobChange(params), events);
    this.emit(events);
    return result;
  }

  /** Changes a waiting job as core decides, without yielding (a create's replace is part of its step). */
  private changeJob(params: JobChangeParams, events: MemoryEvents): JobChangeResult {
    const job = this.state.jobs.get(params.id);
    if (!job) return { ok: false, previous: null };
    const facts = { state: job.state, runAt: job.runAt?.getTime() ?? null, priority: job.priority, queue: job.queue };
    const decision = decideJobChange({ job: facts, change: params.change, now: this.clock.now(), ...(params.cause ? { cause: params.cause } : {}) });
    if (!decision.ok) return { ok: false, previous: job.state, refused: decision.refused };
    this.changes.changeWaiting(job, decision.write, events);
    return { ok: true, previous: job.state };
  }

  async jobSetState(params: JobSetStateParams): Promise<JobSetStateResult> {
    this.guard();
    params = storableStateChange(params);
    const job = this.state.jobs.get(params.id);
    if (!job) return { ok: false, previous: null };
    const previous = job.state;
    if (!params.expected.includes(previous) || !canTransition(previous, params.state)) {
      return { ok: false, previous };
    }
    const now = this.clock.now();
    const events = new MemoryEvents();
    this.changes.transition(job, operatorIntent(params), now, null, events);
    this.emit(events);
    return { ok: true, previous };
  }

  async deadLettersList(params: DeadLettersListParams): Promise<DeadLettersListResult> {
    this.guard();
    return this.deadLetters.list(params);
  }

  async deadLettersGroups(params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
    this.guard();
    return this.deadLetters.groups(params);
  }

  async deadLettersRedrive(params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult> {
    this.guard();
    return this.deadLetters.redrive(storableRedrive(params));
  }

  async jobGet(params: { id: string }): Promise<JobRecord | null> {
    this.guard();
    const job = this.state.jobs.get(params.id);
    return job ? toRecord(job) : null;
  }

  async jobProgressSet(params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
    this.guard();
    const job = this.state.jobs.get(params.id);
    if (!job || job.state !== 'processing' || job.leaseToken !== params.leaseToken) return false;
    job.progress = params.progress;
    job.updatedAt = new Date(this.clock.now());
    return true;
  }

  async jobLogsAppend(params: { entries: NewLogRecord[] }): Promise<void> {
    this.guard();
    for (const entry of storableLogs(params.entries)) {
      this.state.jobs.get(entry.jobId)?.logs.push({ ...entry, at: new Date(entry.at) });
    }
  }

  async jobParameterSet(params: { id: string; key: string; value: Json }): Promise<boolean> {
    this.guard();
    params = storableParameter(params);
    const job = this.state.jobs.get(params.id);
    if (!job) return false;
    job.parameters[params.key] = structuredClone(params.value);
    return true;
  }

  async jobExpirationSet(params: { id: string; ttlMs: number | null }): Promise<boolean> {
    this.guard();
    const job = this.state.jobs.get(params.id);
    if (!job) return false;
    if (params.ttlMs === null) {
      job.retentionMs = null;
      job.expiresAt = null;
    } else {
      job.retentionMs = params.ttlMs;
      job.expiresAt = STATE_FACTS[job.state].expires ? new Date(this.clock.now() + params.ttlMs) : null;
    }
    return true;
  }

  async jobsExpire(params: { limit: number }): Promise<{ deleted: number }> {
    this.guard();
    const now = this.clock.now();
    let deleted = 0;
    for (const job of this.state.jobs.values()) {
      if (deleted >= params.limit) break;
      if (job.expiresAt !== null && job.expiresAt.getTime() <= now && STATE_FACTS[job.state].expires) {
        this.state.jobs.delete(job.id);
        this.state.deadLetters.delete(job.id);
        this.state.counts[job.state]--;
        const key = this.state.occurrenceOf.get(job.id);
        if (key !== undefined) {
          this.state.occurrences.delete(key);
          this.state.occurrenceOf.delete(job.id);
        }
        if (job.flow?.batchId) this.state.batches.get(job.flow.batchId)?.jobs.delete(job.id);
        deleted++;
      }
    }
    return { deleted };
  }

  async scheduledPromoteDue(params: { limit: number }): Promise<{ promoted: number; nextDueAt: number | null }> {
    this.guard();
    const now = this.clock.now();
    const due = [...this.state.scheduled.values()]
      .filter((job) => job.runAt!.getTime() <= now)
      .sort((a, b) => a.runAt!.getTime() - b.runAt!.getTime())
      .slice(0, params.limit);
    const events = new MemoryEvents();
    for (const job of due) this.changes.transition(job, PROMOTION_INTENT, now, null, events);
    this.emit(events);
    let nextDueAt: number | null = null;
    for (const job of this.state.scheduled.values()) {
      const at = job.runAt!.getTime();
      if (nextDueAt === null || at < nextDueAt) nextDueAt = at;
    }
    return { promoted: due.length, nextDueAt };
  }

  async leasesRescueExpired(params: { limit: number; maxRescues: number }): Promise<{ requeued: string[]; failed: string[] }> {
    this.guard();
    const now = this.clock.now();
    const requeued: string[] = [];
    const failed: string[] = [];
    const events = new MemoryEvents();
    for (const job of [...this.state.processing.values()]) {
      if (requeued.length + failed.length >= params.limit) break;
      if (job.leaseExpiresAt === null || job.leaseExpiresAt.getTime() > now) continue;
      const intent = rescueIntent(job, params.maxRescues);
      this.changes.transition(job, intent, now, null, events);
      (intent.to === 'failed' ? failed : requeued).push(job.id);
    }
    this.emit(events);
    return { requeued, failed };
  }

  async queuePauseSet(params: { queue: string; paused: boolean }): Promise<void> {
    this.guard();
    if (params.paused) this.state.pausedQueues.add(params.queue);
    else {
      this.state.pausedQueues.delete(params.queue);
      this.emit(new MemoryEvents().enqueued(params.queue));
    }
  }

  async recurringUpsert(params: { recurring: RecurringUpsert }): Promise<void> {
    this.guard();
    const now = new Date(this.clock.now());
    const existing = this.state.recurring.get(params.recurring.id);
    this.state.recurring.set(params.recurring.id, {
      ...structuredClone(params.recurring),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      lastRunAt: existing?.lastRunAt ?? null,
      lastJobId: existing?.lastJobId ?? null,
      runs: existing?.runs ?? 0,
    });
  }

  async recurringGet(params: { id: string }): Promise<RecurringRecord | null> {
    this.guard();
    const record = this.state.recurring.get(params.id);
    return record ? structuredClone(record) : null;
  }

  async recurringList(params: { limit: number; afterId?: string }): Promise<RecurringRecord[]> {
    this.guard();
    return [...this.state.recurring.values()]
      .filter((r) => params.afterId === undefined || r.id > params.afterId)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, params.limit)
      .map((r) => structuredClone(r));
  }

  async recurringRemove(params: { id: string }): Promise<boolean> {
    this.guard();
    this.state.recurringHistory.delete(params.id);
    return this.state.recurring.delete(params.id);
  }

  async recurringHistory(params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]> {
    this.guard();
    const entries = this.state.recurringHistory.get(params.id) ?? [];
    return params.limit <= 0 ? [] : structuredClone(entries.slice(-params.limit).reverse());
  }

  async recurringPauseSet(params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean> {
    this.guard();
    const record = this.state.recurring.get(params.id);
    if (!record) return false;
    record.paused = params.paused;
    record.nextRunAt = params.nextRunAt;
    record.updatedAt = new Date(this.clock.now());
    return true;
  }

  async recurringDue(params: { limit: number }): Promise<RecurringDueResult> {
    this.guard();
    const now = this.clock.now();
    const records = [...this.state.recurring.values()]
      .filter((r) => !r.paused && r.nextRunAt !== null && r.nextRunAt.getTime() <= now)
      .sort((a, b) => a.nextRunAt!.getTime() - b.nextRunAt!.getTime())
      .slice(0, params.limit)
      .map((r) => structuredClone(r));
    return { now: new Date(now), records };
  }

  async recurringFire(params: RecurringFireParams): Promise<RecurringFireResult> {
    this.guard();
    const record = this.state.recurring.get(params.id);
    if (!record) return { fired: false, jobIds: [], refused: [] };
    if (params.occurrence && record.nextRunAt?.getTime() !== params.occurrence.expected.getTime()) {
      return { fired: false, jobIds: [], refused: [] };
    }
    // No await between the checks and the update: a concurrent fire must see the new next run and
    // the occurrences this one takes.
    const refused: Date[] = [];
    const taken = new Set<string>();
    const creating = params.jobs.filter(({ occurrence }) => {
      if (occurrence === null) return true;
      const key = occurrenceKey(params.id, occurrence);
      if (this.state.occurrences.has(key) || taken.has(key)) {
        refused.push(new Date(occurrence.getTime()));
        return false;
      }
      taken.add(key);
      return true;
    });
    const { jobs } = this.createJobs({ jobs: creating.map((j) => ({ ...j.job, recurringId: params.id })) }, false);
    creating.forEach(({ occurrence }, i) => {
      if (occurrence === null) return;
      const key = occurrenceKey(params.id, occurrence);
      this.state.occurrences.set(key, jobs[i]!.id);
      this.state.occurrenceOf.set(jobs[i]!.id, key);
    });
    const now = new Date(this.clock.now());
    record.runs += creating.filter((j) => j.occurrence !== null).length;
    if (params.occurrence) record.nextRunAt = params.occurrence.next;
    record.lastRunAt = now;
    record.lastJobId = jobs.at(-1)?.id ?? record.lastJobId;
    record.updatedAt = now;
    const written = recurringHistoryToWrite(params, new Set(jobs.map((j) => j.id)));
    if (written.length > 0) {
      const entries = this.state.recurringHistory.get(params.id) ?? [];
      entries.push(...written.map((entry) => ({ ...structuredClone(entry), at: now })));
      this.state.recurringHistory.set(params.id, entries.slice(-RECURRING_HISTORY_LIMIT));
    }
    return { fired: true, jobIds: jobs.map((j) => j.id), refused };
  }

  async serverHeartbeat(params: { server: Omit<ServerRecord, 'heartbeatAt'> }): Promise<void> {
    this.guard();
    this.state.servers.set(params.server.id, { ...structuredClone(params.server), heartbeatAt: new Date(this.clock.now()) });
  }

  async serverRemove(params: { id: string }): Promise<void> {
    this.guard();
    this.state.servers.delete(params.id);
  }

  async serversRemoveDead(params: { timeoutMs: number }): Promise<string[]> {
    this.guard();
    const cutoff = this.clock.now() - params.timeoutMs;
    const dead = [...this.state.servers.values()].filter((s) => s.heartbeatAt.getTime() < cutoff).map((s) => s.id);
    for (const id of dead) this.state.servers.delete(id);
    return dead;
  }

  // ---- internals -------------------------------------------------------------------------------

  private guard(): void {
    if (this.closed) throw new StorageClosedError('memory');
  }

  private emit(events: MemoryEvents): void {
    for (const event of events.list) for (const listener of this.listeners) listener(event);
  }
}
