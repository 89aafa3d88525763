import { gateToPause } from '../../limits/rate-limited.js';
import { randomUUID } from 'node:crypto';

import type { Json, NewJob } from '../../job/records.js';
import type { ChangeIntent } from '../../states/change-intents.js';
import { claimIntent, completionIntent, continuationIntent } from '../../states/change-intents.js';
import type { JobChangeWrite } from '../../states/job-change.js';
import type { StateChange } from '../../states/state-change.js';
import { decideStateChange, uniqueKeyReleasedReason } from '../../states/state-change.js';
import type { JobState } from '../../states/states.js';
import { STATE_FACTS, initialState } from '../../states/states.js';
import type { Completion } from '../contract.js';
import { MemoryEvents } from './memory-events.js';
import type { MemoryLimits } from './memory-limits.js';
import type { MemoryJob, MemoryState } from './memory-state.js';

/**
 * The memory storage's state changes: inserting jobs, fetching, completing and every transition,
 * with its indexes, counters, history and continuations kept in step. Callers check guards first.
 */
export class MemoryJobChanges {
  /** Settles what a job of a batch or a flow adds to its change (set by the storage; see MemoryFlows). */
  flowSettler: ((job: MemoryJob, change: StateChange, now: number, move: (job: MemoryJob, intent: ChangeIntent) => void) => void) | null = null;

  constructor(
    private readonly state: MemoryState,
    private readonly limits: MemoryLimits,
  ) {}

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
      deadLetteredAt: null,
      deadLetterError: null,
      parameters: structuredClone(input.parameters),
      leaseToken: null,
      history: [],
      logs: [],
      heldGates: null,
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

  /** Starts a job under a new lease; `gates`: the flow-control gates admission gave it. */
  startProcessing(job: MemoryJob, now: number, serverId: string, leaseMs: number, gates: string[] = []): void {
    const intent = claimIntent(serverId, job.attempt + 1, randomUUID(), now + leaseMs);
    job.heldGates = gates.length > 0 ? gates : null;
    job.serverId = serverId;
    job.startedAt = new Date(now);
    this.transition(job, intent, now, serverId, new MemoryEvents());
  }

  /** `announceFreed: false`: a place the job frees is not announced (a hand-over may pass it on). */
  complete(completion: Completion, now: number, serverId: string, events: MemoryEvents, announceFreed = true): boolean {
    const job = this.state.jobs.get(completion.id);
    const outcome = completion.outcome;
    if (!job || job.leaseToken !== completion.leaseToken) return false;
    // Not processing under this lease: this lease's outcome was recorded already, or it is refused.
    if (job.state !== 'processing') return job.state === outcome.state;
    this.transition(job, completionIntent(outcome), now, serverId, events, announceFreed);
    return true;
  }

  /**
   * Moves a job to `to` as core decides ({@link decideStateChange}), and keeps indexes, the unique
   * key, counters and continuations in step. Callers have checked the transition's guard.
   */
  transition(job: MemoryJob, intent: ChangeIntent, now: number, serverId: string | null, events: MemoryEvents, announceFreed = true): void {
    const change = decideStateChange({ from: job.state, ...intent, now, serverId });
    if (change.uniqueKey === 'check-holder' && job.uniqueKey !== null) {
      const holder = this.state.unique.get(job.uniqueKey);
      if (holder !== undefined && holder !== job.id) {
        // Another active job took the key while this one was finished: run again without it.
        change.history.reason = uniqueKeyReleasedReason(change.history.reason, job.uniqueKey, holder);
        job.uniqueKey = null;
      }
    }
    this.unindex(job);
    this.apply(job, change);
    if (change.limits === 'release' && job.heldGates !== null) {
      if (change.pause !== null) this.limits.pause(gateToPause(change.pause.candidates, job.heldGates), change.pause.until);
      this.limits.release(job.heldGates);
      job.heldGates = null;
      // A freed place may let a held-back job start: wake the servers of its queue.
      if (announceFreed) events.enqueued(job.queue);
    }
    this.index(job, events);
    if (job.flow !== undefined) this.flowSettler?.(job, change, now, (child, childIntent) => this.transition(child, childIntent, now, null, events));
    if (change.settleContinuations) this.settleContinuations(job, now, events);
    events.state(job.id, change.events.state);
  }

  /** Replaces a job's arguments (a redrive with edited arguments, in the redrive's step). */
  replaceArgs(job: MemoryJob, args: Json): void {
    job.args = structuredClone(args);
  }

  /** Writes a decided change of a waiting job (its state stays), keeping its indexes in step. */
  changeWaiting(job: MemoryJob, write: JobChangeWrite, events: MemoryEvents): void {
    // An enqueued job that keeps its place (new arguments only) stays where it is in its queue.
    const moves = !(job.state === 'enqueued' && write.queuePosition === 'keep' && write.queue === 'keep' && write.priority === 'keep');
    if (moves) this.unindex(job);
    job.updatedAt = new Date(write.updatedAt);
    if (write.runAt !== 'keep') job.runAt = new Date(write.runAt.set);
    if (write.priority !== 'keep') job.priority = write.priority.set;
    if (write.queue !== 'keep') job.queue = write.queue.set;
    if (write.args !== 'keep') job.args = structuredClone(write.args.set);
    const { history } = write;
    job.history.push({ jobId: job.id, state: history.state, reason: history.reason, data: history.data, at: new Date(history.at), serverId: history.serverId });
    // index() puts an enqueued job at the back of its (new) queue and priority, as the write says.
    if (moves) this.index(job, events);
  }

  /** Writes a decided change into the job and the counters. */
  private apply(job: MemoryJob, change: StateChange): void {
    this.state.counts[change.counters.down]--;
    this.state.counts[change.counters.up]++;
    const { series } = change.counters;
    if (series !== null) {
      const point = this.state.hourly.get(series.bucket) ?? { succeeded: 0, failed: 0 };
      point[series.state]++;
      this.state.hourly.set(series.bucket, point);
    }
    job.state = change.to;
    job.updatedAt = new Date(change.updatedAt);
    if (change.finishedAt !== 'keep') job.finishedAt = toDate(change.finishedAt.set);
    if (change.runAt !== 'keep') job.runAt = toDate(change.runAt.set);
    job.expiresAt = change.expires && job.retentionMs !== null ? new Date(change.updatedAt + job.retentionMs) : null;
    switch (change.attempts) {
      case 'count':
        job.attempt++;
        break;
      case 'refund':
        job.attempt = Math.max(0, job.attempt - 1);
        break;
      case 'reset':
        job.attempt = 0;
        break;
      case 'keep':
        break;
    }
    if (change.rescues === 'count') job.rescues++;
    else if (change.rescues === 'reset') job.rescues = 0;
    if (change.progress === 'complete' && job.progress !== null) job.progress = 100;
    if (change.result !== 'keep') job.result = structuredClone(change.result.set);
    if (change.error !== 'keep') job.error = structuredClone(change.error.set);
    if (change.deadLetter !== 'keep') {
      job.deadLetteredAt = change.deadLetter.set === null ? null : new Date(change.deadLetter.set.at);
      job.deadLetterError = change.deadLetter.set?.errorName ?? null;
    }
    if (change.lease === 'clear') {
      job.leaseToken = null;
      job.leaseExpiresAt = null;
    } else if (change.lease === 'end') {
      // The token stays, so that a repeat of the holder's completion is recognised.
      job.leaseExpiresAt = null;
    } else {
      job.leaseToken = change.lease.take;
      job.leaseExpiresAt = new Date(change.lease.expiresAt);
    }
    const { history } = change;
    job.history.push({ jobId: job.id, state: history.state, reason: history.reason, data: history.data, at: new Date(history.at), serverId: history.serverId });
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
      const intent = continuationIntent(parent.id, parent.state, child.continueOn ?? 'succeeded');
      if (intent === null) continue;
      children.delete(childId);
      this.transition(child, intent, now, null, events);
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
    if (job.deadLetteredAt !== null) this.state.deadLetters.set(job.id, job);
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
    this.state.deadLetters.delete(job.id);
  }
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
