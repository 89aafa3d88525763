import { randomUUID } from 'node:crypto';

import { StorageClosedError } from '../../errors.js';
import { JobNotFoundError } from '../../errors.js';
import type { ErrorRecord, FetchedJob, JobRecord, Json, NewJob, RecurringRecord, ServerRecord } from '../../job/records.js';
import type { JobState } from '../../states/states.js';
import { STATE_FACTS, canTransition, continuationOutcome } from '../../states/states.js';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type { StorageCapabilities } from '../capabilities.js';
import type {
  Completion,
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
  MonitoringApi,
  NewLogRecord,
  RecurringFireParams,
  RecurringUpsert,
  Storage,
  StorageEvent,
} from '../contract.js';
import { MemoryMonitoring } from './memory-monitoring.js';
import type { MemoryJob } from './memory-state.js';
import { MemoryState, toFetched, toRecord } from './memory-state.js';

const HOUR_MS = 3_600_000;

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
  });
  readonly monitoring: MonitoringApi;
  private readonly state = new MemoryState();
  private readonly clock: Clock;
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  private closed = false;

  constructor(runtime: MemoryStorageRuntime = {}) {
    this.clock = runtime.clock ?? systemClock;
    this.monitoring = new MemoryMonitoring(this.state, () => this.guard());
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

  /** Creates jobs without yielding, so that callers can make it part of a larger atomic step. */
  private createJobs(params: JobsCreateParams): JobsCreateResult {
    const now = this.clock.now();
    // Validate every parent first, so that a missing parent writes nothing.
    for (const job of params.jobs) {
      if (job.parentId !== null && !this.state.jobs.has(job.parentId) && !params.jobs.some((j) => j.id === job.parentId)) {
        throw new JobNotFoundError(job.parentId);
      }
    }
    const results: JobsCreateResult['jobs'] = [];
    const events = new Events();
    for (const input of params.jobs) {
      const holder = input.uniqueKey !== null ? this.state.unique.get(input.uniqueKey) : undefined;
      if (holder !== undefined) {
        results.push({ id: holder, created: false, state: this.state.jobs.get(holder)!.state });
        continue;
      }
      results.push({ id: input.id, created: true, state: this.insert(input, now, events) });
    }
    this.emit(events);
    return { jobs: results };
  }

  async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    this.guard();
    const now = this.clock.now();
    const names = params.names ? new Set(params.names) : null;
    const fetched: FetchedJob[] = [];
    for (const queue of params.queues) {
      if (fetched.length >= params.limit) break;
      if (this.state.pausedQueues.has(queue)) continue;
      const byPriority = this.state.enqueued.get(queue);
      if (!byPriority) continue;
      const candidates: MemoryJob[] = [];
      const wanted = params.limit - fetched.length;
      for (const priority of [...byPriority.keys()].sort((a, b) => b - a)) {
        for (const job of byPriority.get(priority)!.values()) {
          if (candidates.length >= wanted) break;
          if (names === null || names.has(job.name)) candidates.push(job);
        }
      }
      for (const job of candidates) {
        this.startProcessing(job, now, params.serverId, params.leaseMs);
        fetched.push(toFetched(job));
      }
    }
    return fetched;
  }

  async jobClaim(params: JobClaimParams): Promise<FetchedJob | null> {
    this.guard();
    const job = this.state.jobs.get(params.id);
    if (!job || !params.expected.includes(job.state) || job.state === 'processing') return null;
    const now = this.clock.now();
    if (job.state !== 'enqueued') {
      this.transition(job, 'enqueued', now, 'Claimed to run now', null, null, new Events());
    }
    this.startProcessing(job, now, params.serverId, params.leaseMs);
    return toFetched(job);
  }

  async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    this.guard();
    const now = this.clock.now();
    const events = new Events();
    const results = params.completions.map((completion) => ({
      id: completion.id,
      ok: this.complete(completion, now, params.serverId, events),
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

  async jobSetState(params: JobSetStateParams): Promise<JobSetStateResult> {
    this.guard();
    const job = this.state.jobs.get(params.id);
    if (!job) return { ok: false, previous: null };
    const previous = job.state;
    if (!params.expected.includes(previous) || !canTransition(previous, params.state)) {
      return { ok: false, previous };
    }
    const now = this.clock.now();
    const events = new Events();
    if (params.resetAttempts) {
      job.attempt = 0;
      job.rescues = 0;
    }
    if (params.state === 'failed') job.error = params.error ?? null;
    this.transition(job, params.state, now, params.reason, params.data ?? null, null, events);
    this.emit(events);
    return { ok: true, previous };
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
    for (const entry of params.entries) {
      this.state.jobs.get(entry.jobId)?.logs.push({ ...entry, at: new Date(entry.at) });
    }
  }

  async jobParameterSet(params: { id: string; key: string; value: Json }): Promise<boolean> {
    this.guard();
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
        this.state.counts[job.state]--;
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
    const events = new Events();
    for (const job of due) this.transition(job, 'enqueued', now, 'Due time reached', null, null, events);
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
    const events = new Events();
    for (const job of [...this.state.processing.values()]) {
      if (requeued.length + failed.length >= params.limit) break;
      if (job.leaseExpiresAt === null || job.leaseExpiresAt.getTime() > now) continue;
      const serverId = job.serverId;
      if (job.rescues + 1 > params.maxRescues) {
        job.error = poisonError(job.rescues + 1);
        this.transition(job, 'failed', now, `Lease expired ${job.rescues + 1} times: failed as a poison pill`, { serverId }, null, events);
        failed.push(job.id);
      } else {
        job.rescues++;
        this.transition(job, 'enqueued', now, `Lease expired on server ${serverId ?? 'unknown'}: returned to the queue`, { serverId }, null, events);
        requeued.push(job.id);
      }
    }
    this.emit(events);
    return { requeued, failed };
  }

  async queuePauseSet(params: { queue: string; paused: boolean }): Promise<void> {
    this.guard();
    if (params.paused) this.state.pausedQueues.add(params.queue);
    else {
      this.state.pausedQueues.delete(params.queue);
      this.emit(new Events().enqueued(params.queue));
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
    return this.state.recurring.delete(params.id);
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

  async recurringDue(params: { limit: number }): Promise<RecurringRecord[]> {
    this.guard();
    const now = this.clock.now();
    return [...this.state.recurring.values()]
      .filter((r) => !r.paused && r.nextRunAt !== null && r.nextRunAt.getTime() <= now)
      .sort((a, b) => a.nextRunAt!.getTime() - b.nextRunAt!.getTime())
      .slice(0, params.limit)
      .map((r) => structuredClone(r));
  }

  async recurringFire(params: RecurringFireParams): Promise<{ fired: boolean; jobIds: string[] }> {
    this.guard();
    const record = this.state.recurring.get(params.id);
    if (!record) return { fired: false, jobIds: [] };
    if (params.occurrence && record.nextRunAt?.getTime() !== params.occurrence.expected.getTime()) {
      return { fired: false, jobIds: [] };
    }
    // No await between the occurrence check and the update: a concurrent fire must see the new next run.
    const { jobs } = this.createJobs({ jobs: params.jobs });
    const now = new Date(this.clock.now());
    if (params.occurrence) record.nextRunAt = params.occurrence.next;
    record.lastRunAt = now;
    record.lastJobId = jobs.at(-1)?.id ?? record.lastJobId;
    record.updatedAt = now;
    return { fired: true, jobIds: jobs.map((j) => j.id) };
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

  private emit(events: Events): void {
    for (const event of events.list) for (const listener of this.listeners) listener(event);
  }

  /** Inserts a new job, deciding continuations against the parent; returns its initial state. */
  private insert(input: NewJob, now: number, events: Events): JobState {
    let state: JobState = input.state;
    let reason = input.reason;
    const parent = input.parentId !== null ? this.state.jobs.get(input.parentId) : undefined;
    if (state === 'awaiting' && parent && input.continueOn) {
      const outcome = continuationOutcome(parent.state, input.continueOn);
      if (outcome === 'release') {
        state = 'enqueued';
        reason = `Parent ${parent.id} already ${parent.state}`;
      } else if (outcome === 'cancel') {
        state = 'deleted';
        reason = `Parent ${parent.id} already ${parent.state}; this continuation runs only on ${input.continueOn}`;
      }
    }
    const job: MemoryJob = {
      id: input.id,
      name: input.name,
      args: structuredClone(input.args),
      queue: input.queue,
      priority: input.priority,
      state,
      attempt: 0,
      maxAttempts: input.maxAttempts,
      rescues: 0,
      runAt: input.runAt ? new Date(input.runAt) : null,
      createdAt: new Date(now),
      updatedAt: new Date(now),
      startedAt: null,
      finishedAt: state === 'deleted' ? new Date(now) : null,
      expiresAt: state === 'deleted' && input.retentionMs !== null ? new Date(now + input.retentionMs) : null,
      timeoutMs: input.timeoutMs,
      retentionMs: input.retentionMs,
      backoff: input.backoff,
      uniqueKey: input.uniqueKey,
      parentId: input.parentId,
      continueOn: input.continueOn,
      recurringId: input.recurringId,
      serverId: null,
      leaseExpiresAt: null,
      progress: null,
      result: null,
      error: null,
      parameters: structuredClone(input.parameters),
      leaseToken: null,
      history: [],
      logs: [],
    };
    this.state.jobs.set(job.id, job);
    this.state.counts[state]++;
    this.index(job, events);
    if (state === 'awaiting') {
      const set = this.state.children.get(input.parentId!) ?? new Set<string>();
      set.add(job.id);
      this.state.children.set(input.parentId!, set);
    }
    job.history.push({ jobId: job.id, state, reason, data: null, at: new Date(now), serverId: null });
    return state;
  }

  private startProcessing(job: MemoryJob, now: number, serverId: string, leaseMs: number): void {
    job.attempt++;
    job.leaseToken = randomUUID();
    job.serverId = serverId;
    job.leaseExpiresAt = new Date(now + leaseMs);
    job.startedAt = new Date(now);
    this.transition(job, 'processing', now, `Started by server ${serverId}`, { serverId, attempt: job.attempt }, serverId, new Events());
  }

  private complete(completion: Completion, now: number, serverId: string, events: Events): boolean {
    const job = this.state.jobs.get(completion.id);
    if (!job || job.state !== 'processing' || job.leaseToken !== completion.leaseToken) return false;
    const outcome = completion.outcome;
    switch (outcome.state) {
      case 'succeeded':
        job.result = structuredClone(outcome.result);
        job.progress = job.progress === null ? null : 100;
        this.transition(job, 'succeeded', now, outcome.reason, null, serverId, events);
        break;
      case 'failed':
        job.error = structuredClone(outcome.error);
        this.transition(job, 'failed', now, outcome.reason, { error: outcome.error as unknown as Json }, serverId, events);
        break;
      case 'scheduled':
        job.error = structuredClone(outcome.error);
        job.runAt = new Date(outcome.runAt);
        this.transition(job, 'scheduled', now, outcome.reason, { error: outcome.error as unknown as Json, runAt: outcome.runAt.toISOString() }, serverId, events);
        break;
      case 'enqueued':
        if (outcome.refundAttempt) job.attempt = Math.max(0, job.attempt - 1);
        this.transition(job, 'enqueued', now, outcome.reason, null, serverId, events);
        break;
      default: {
        const never: never = outcome;
        return never;
      }
    }
    return true;
  }

  /**
   * Moves a job to `to`: updates indexes, counters and history, and releases or cancels its
   * continuations. Callers have checked the transition's guard.
   */
  private transition(job: MemoryJob, to: JobState, now: number, reason: string, data: Json, serverId: string | null, events: Events): void {
    const from = job.state;
    if (job.uniqueKey !== null && STATE_FACTS[to].active && !STATE_FACTS[from].active) {
      const holder = this.state.unique.get(job.uniqueKey);
      if (holder !== undefined && holder !== job.id) {
        // Another active job took the key while this one was finished: run again without it.
        reason = `${reason} (unique key "${job.uniqueKey}" is held by job ${holder}; released from this job)`;
        job.uniqueKey = null;
      }
    }
    this.unindex(job);
    this.state.counts[from]--;
    this.state.counts[to]++;
    job.state = to;
    job.updatedAt = new Date(now);
    if (from === 'processing') {
      job.leaseToken = null;
      job.leaseExpiresAt = null;
    }
    if (to === 'enqueued' || to === 'scheduled') job.finishedAt = null;
    if (to !== 'scheduled') job.runAt = to === 'enqueued' ? null : job.runAt;
    if (to === 'succeeded' || to === 'failed' || to === 'deleted') job.finishedAt = new Date(now);
    job.expiresAt = STATE_FACTS[to].expires && job.retentionMs !== null ? new Date(now + job.retentionMs) : null;
    if (to === 'succeeded' || to === 'failed') {
      const bucket = Math.floor(now / HOUR_MS) * HOUR_MS;
      const point = this.state.hourly.get(bucket) ?? { succeeded: 0, failed: 0 };
      point[to]++;
      this.state.hourly.set(bucket, point);
    }
    this.index(job, events);
    job.history.push({ jobId: job.id, state: to, reason, data, at: new Date(now), serverId });
    this.settleContinuations(job, now, events);
    events.state(job.id, to);
  }

  private settleContinuations(parent: MemoryJob, now: number, events: Events): void {
    const children = this.state.children.get(parent.id);
    if (!children) return;
    for (const childId of [...children]) {
      const child = this.state.jobs.get(childId);
      if (!child || child.state !== 'awaiting') {
        children.delete(childId);
        continue;
      }
      const outcome = continuationOutcome(parent.state, child.continueOn ?? 'succeeded');
      if (outcome === 'wait') continue;
      children.delete(childId);
      if (outcome === 'release') {
        this.transition(child, 'enqueued', now, `Parent ${parent.id} ${parent.state}`, { parentId: parent.id }, null, events);
      } else {
        this.transition(child, 'deleted', now, `Parent ${parent.id} ${parent.state}; this continuation runs only on ${child.continueOn}`, { parentId: parent.id }, null, events);
      }
    }
    if (children.size === 0) this.state.children.delete(parent.id);
  }

  private index(job: MemoryJob, events: Events): void {
    switch (job.state) {
      case 'enqueued': {
        let queue = this.state.enqueued.get(job.queue);
        if (!queue) this.state.enqueued.set(job.queue, (queue = new Map()));
        let level = queue.get(job.priority);
        if (!level) queue.set(job.priority, (level = new Map()));
        level.set(job.id, job);
        events.enqueued(job.queue);
        break;
      }
      case 'scheduled':
        this.state.scheduled.set(job.id, job);
        events.scheduled(job.runAt!.getTime());
        break;
      case 'processing':
        this.state.processing.set(job.id, job);
        break;
      default:
        break;
    }
    if (job.uniqueKey !== null) {
      if (STATE_FACTS[job.state].active) this.state.unique.set(job.uniqueKey, job.id);
      else if (this.state.unique.get(job.uniqueKey) === job.id) this.state.unique.delete(job.uniqueKey);
    }
  }

  private unindex(job: MemoryJob): void {
    const queue = this.state.enqueued.get(job.queue);
    const level = queue?.get(job.priority);
    if (level?.delete(job.id) && level.size === 0) {
      queue!.delete(job.priority);
      if (queue!.size === 0) this.state.enqueued.delete(job.queue);
    }
    this.state.scheduled.delete(job.id);
    this.state.processing.delete(job.id);
  }
}

function poisonError(rescues: number): ErrorRecord {
  return {
    name: 'LeaseExpiredError',
    code: 'ERR_LEASE_EXPIRED',
    message: `The job's lease expired ${rescues} times (its server died or stalled each time); failed as a poison pill.`,
  };
}

/** Wake-up events gathered during one operation and emitted after it. */
class Events {
  readonly list: StorageEvent[] = [];
  private readonly queues = new Set<string>();
  private earliest: number | null = null;

  enqueued(queue: string): this {
    if (!this.queues.has(queue)) {
      this.queues.add(queue);
      this.list.push({ type: 'jobs-enqueued', queues: [queue] });
    }
    return this;
  }

  scheduled(at: number): this {
    if (this.earliest === null || at < this.earliest) {
      this.earliest = at;
      this.list.push({ type: 'jobs-scheduled', earliestRunAt: at });
    }
    return this;
  }

  state(id: string, state: JobState): this {
    this.list.push({ type: 'job-state', id, state });
    return this;
  }
}
