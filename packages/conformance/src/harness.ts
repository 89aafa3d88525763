import { afterEach, beforeEach, expect } from 'vitest';

import { JOB_STATES, ManualClock, UuidV7Generator } from '@spool/core';
import type {
  CompletionOutcome,
  ErrorRecord,
  FetchedJob,
  HistoryRecord,
  JobRecord,
  JobState,
  JobsFetchParams,
  Json,
  NewJob,
  Storage,
  StorageEvent,
} from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { expectValidHistories } from './transitions-check.js';

/** Where every test's clock starts: a fixed instant in the middle of an hour, so hour buckets are easy to reason about. */
export const START = Date.UTC(2030, 0, 1, 12, 30);
/** Lease length used by the default fetch, in milliseconds. */
export const LEASE_MS = 30_000;
/** Retention used by the default job, in milliseconds. */
export const RETENTION_MS = 86_400_000;
/** Server id used by the default fetch and completion. */
export const SERVER = 'server-1';

/**
 * The per-test context of the conformance suite: a fresh storage on a manual clock, factories for
 * jobs, and short forms of the calls most tests make. Fields are set by `beforeEach`.
 */
export class Harness {
  clock!: ManualClock;
  storage!: Storage;
  ids!: UuidV7Generator;
  private handles: Storage[] = [];
  private cleanups: Array<() => void> = [];

  constructor(private readonly target: ConformanceTarget) {}

  /** @internal Opens a fresh storage for one test. */
  async setUp(): Promise<void> {
    this.clock = new ManualClock(START);
    this.ids = new UuidV7Generator(this.clock);
    this.handles = [];
    this.cleanups = [];
    this.storage = await this.target.create({ clock: this.clock });
    this.handles.push(this.storage);
  }

  /** @internal Closes every handle the test opened. */
  async tearDown(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    // Extra connections first, the storage that owns the data last.
    const handles = [...new Set(this.handles.splice(0))].reverse();
    for (const handle of handles) {
      // A test may have closed a handle itself (to test closing): a second close may refuse.
      await handle.close().catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 'ERR_STORAGE_CLOSED') throw error;
      });
    }
  }

  /** Another handle on the same data (the same instance when the target has no `connect`). */
  async connect(): Promise<Storage> {
    if (!this.target.connect) return this.storage;
    const handle = await this.target.connect(this.storage, { clock: this.clock });
    this.handles.push(handle);
    return handle;
  }

  /** Whether the target can corrupt a job's stored arguments. */
  get canCorrupt(): boolean {
    return this.target.corruptJobArgs !== undefined;
  }

  /** Writes malformed arguments into a stored job (only when the target supports it). */
  async corrupt(id: string): Promise<void> {
    if (!this.target.corruptJobArgs) throw new Error('the target cannot corrupt job arguments');
    await this.target.corruptJobArgs(this.storage, id);
  }

  /** The current time of the manual clock. */
  now(): number {
    return this.clock.now();
  }

  /** A new enqueued job with sensible defaults, overridden by `overrides`. */
  job(overrides: Partial<NewJob> = {}): NewJob {
    return newJobRecord(this.ids.next(), overrides);
  }

  /** A new scheduled job due `delayMs` from now. */
  scheduledJob(delayMs: number, overrides: Partial<NewJob> = {}): NewJob {
    return this.job({ state: 'scheduled', runAt: new Date(this.now() + delayMs), ...overrides });
  }

  /** A new continuation of `parentId`. */
  continuation(parentId: string, on: NewJob['continueOn'], overrides: Partial<NewJob> = {}): NewJob {
    return this.job({ state: 'awaiting', parentId, continueOn: on, ...overrides });
  }

  /** Creates jobs (each `Partial<NewJob>` overrides the defaults) and returns their ids; each must be created. */
  async create(...jobs: Array<Partial<NewJob>>): Promise<string[]> {
    const full = jobs.map((j) => this.job(j));
    const result = await this.storage.jobsCreate({ jobs: full });
    expect(result.jobs.map((j) => j.created)).toEqual(full.map(() => true));
    return result.jobs.map((j) => j.id);
  }

  /** Creates one job and returns its id. */
  async createOne(overrides: Partial<NewJob> = {}): Promise<string> {
    const [id] = await this.create(overrides);
    return id!;
  }

  /** Fetches with defaults: queue 'default', any name, limit 100, server 'server-1', lease 30 s. */
  async fetch(params: Partial<JobsFetchParams> = {}, storage: Storage = this.storage): Promise<FetchedJob[]> {
    return storage.jobsFetch({ queues: ['default'], names: null, limit: 100, serverId: SERVER, leaseMs: LEASE_MS, ...params });
  }

  /** Fetches exactly one job (from the given queues) and returns it. */
  async fetchOne(params: Partial<JobsFetchParams> = {}): Promise<FetchedJob> {
    const jobs = await this.fetch({ ...params, limit: 1 });
    expect(jobs).toHaveLength(1);
    return jobs[0]!;
  }

  /** Creates one enqueued job and fetches it (its queue must hold no job that would be fetched first). */
  async running(overrides: Partial<NewJob> = {}): Promise<FetchedJob> {
    const queue = overrides.queue ?? 'default';
    const id = await this.createOne({ ...overrides, queue });
    const jobs = await this.fetch({ queues: [queue], limit: 1 });
    expect(jobs.map((j) => j.id), `job ${id} should have been fetched`).toEqual([id]);
    return jobs[0]!;
  }

  /** Completes one job with an outcome; returns whether its lease still held. */
  async complete(job: { id: string; leaseToken: string }, outcome: CompletionOutcome, serverId = SERVER): Promise<boolean> {
    const { results } = await this.storage.jobsComplete({ completions: [{ id: job.id, leaseToken: job.leaseToken, outcome }], serverId });
    expect(results).toHaveLength(1);
    expect(results[0]!.id).toBe(job.id);
    return results[0]!.ok;
  }

  /** Completes a job as succeeded. */
  succeed(job: { id: string; leaseToken: string }, result: Json = null): Promise<boolean> {
    return this.complete(job, { state: 'succeeded', result, reason: 'Succeeded' });
  }

  /** Completes a job as failed. */
  fail(job: { id: string; leaseToken: string }, error: ErrorRecord = testError()): Promise<boolean> {
    return this.complete(job, { state: 'failed', error, reason: 'Failed' });
  }

  /** Reads a job that must exist. */
  async get(id: string, storage: Storage = this.storage): Promise<JobRecord> {
    const job = await storage.jobGet({ id });
    expect(job, `job ${id} should exist`).not.toBeNull();
    return job!;
  }

  /** The state of a job that must exist. */
  async stateOf(id: string): Promise<JobState> {
    return (await this.get(id)).state;
  }

  /** The history of a job that must exist, oldest first. */
  async history(id: string): Promise<HistoryRecord[]> {
    const details = await this.storage.monitoring.jobDetails({ id });
    expect(details, `job ${id} should exist`).not.toBeNull();
    return details!.history;
  }

  /** The states of a job's history, oldest first. */
  async historyStates(id: string): Promise<JobState[]> {
    return (await this.history(id)).map((h) => h.state);
  }

  /** Job counts per state, from the monitoring counters. */
  async counts(): Promise<Record<JobState, number>> {
    return (await this.storage.monitoring.stats()).states;
  }

  /** Expects the monitoring counters to be exactly `expected` (unlisted states: 0). */
  async expectCounts(expected: Partial<Record<JobState, number>>): Promise<void> {
    const full = Object.fromEntries(JOB_STATES.map((s) => [s, expected[s] ?? 0]));
    expect(await this.counts()).toEqual(full);
  }

  /** Subscribes to the storage's events for the rest of the test; returns the list they are collected into. */
  record(storage: Storage = this.storage): StorageEvent[] {
    const events: StorageEvent[] = [];
    this.cleanups.push(storage.subscribe((event) => events.push(event)));
    return events;
  }

  /**
   * Checks the invariants every test should leave behind: every job's history follows TRANSITIONS and
   * ends in its current state, and the monitoring counters equal the jobs actually stored per state.
   */
  async verify(): Promise<Set<string>> {
    return expectValidHistories(this.storage);
  }
}

/**
 * Registers `beforeEach`/`afterEach` in the current `describe` that give each test a fresh storage;
 * returns the harness whose fields they set.
 */
export function useHarness(target: ConformanceTarget): Harness {
  const harness = new Harness(target);
  beforeEach(async () => {
    await harness.setUp();
  });
  afterEach(async () => {
    await harness.tearDown();
  });
  return harness;
}

/** A new enqueued job with id `id` and the suite's defaults, overridden by `overrides`. */
export function newJobRecord(id: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id,
    name: 'test.job',
    args: {},
    queue: 'default',
    priority: 0,
    state: 'enqueued',
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    retentionMs: RETENTION_MS,
    backoff: null,
    uniqueKey: null,
    parentId: null,
    continueOn: null,
    recurringId: null,
    parameters: {},
    reason: 'Created by the conformance suite',
    ...overrides,
  };
}

/** An error record for failed outcomes. */
export function testError(message = 'boom'): ErrorRecord {
  return { name: 'Error', message, code: 'ERR_TEST' };
}
