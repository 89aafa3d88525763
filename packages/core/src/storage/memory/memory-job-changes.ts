import { randomUUID } from 'node:crypto';

import type { Json, NewJob } from '../../job/records.js';
import type { JobState } from '../../states/states.js';
import { STATE_FACTS, continuationOutcome, initialState } from '../../states/states.js';
import type { Completion } from '../contract.js';
import { MemoryEvents } from './memory-events.js';
import type { MemoryJob, MemoryState } from './memory-state.js';

const HOUR_MS = 3_600_000;

/**
 * The memory storage's state changes: inserting jobs, fetching, completing and every transition,
 * with its indexes, counters, history and continuations kept in step. Callers check guards first.
 */
export class MemoryJobChanges {
  constructor(private readonly state: MemoryState) {}

  /** Inserts a new job, deciding continuations against the parent; returns its initial state. */
  insert(input: NewJob, now: number, events: MemoryEvents): JobState {
    const parent = input.parentId !== null ? this.state.jobs.get(input.parentId) : undefined;
    const { state, reason } = initialState(input, parent?.state);
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

  startProcessing(job: MemoryJob, now: number, serverId: string, leaseMs: number): void {
    job.attempt++;
    job.leaseToken = randomUUID();
    job.serverId = serverId;
    job.leaseExpiresAt = new Date(now + leaseMs);
    job.startedAt = new Date(now);
    this.transition(job, 'processing', now, `Started by server ${serverId}`, { serverId, attempt: job.attempt }, serverId, new MemoryEvents());
  }

  complete(completion: Completion, now: number, serverId: string, events: MemoryEvents): boolean {
    const job = this.state.jobs.get(completion.id);
    const outcome = completion.outcome;
    if (!job || job.leaseToken !== completion.leaseToken) return false;
    // Not processing under this lease: this lease's outcome was recorded already, or it is refused.
    if (job.state !== 'processing') return job.state === outcome.state;
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
    // Kept until the job changes again, so that a repeat of this completion is recognised.
    job.leaseToken = completion.leaseToken;
    return true;
  }

  /**
   * Moves a job to `to`: updates indexes, counters and history, and releases or cancels its
   * continuations. Callers have checked the transition's guard.
   */
  transition(job: MemoryJob, to: JobState, now: number, reason: string, data: Json, serverId: string | null, events: MemoryEvents): void {
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
    if (to !== 'processing') {
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

  private settleContinuations(parent: MemoryJob, now: number, events: MemoryEvents): void {
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

  private index(job: MemoryJob, events: MemoryEvents): void {
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
