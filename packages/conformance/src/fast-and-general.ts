import { describe, expect, it } from 'vitest';

import { JOB_STATES, ManualClock } from '@spool/core';
import type { CompletionOutcome, FetchedJob, Json, NewJob, Storage, StorageEvent } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { LEASE_MS, SERVER, START, newJobRecord, testError } from './harness.js';
import { runRedriveScenario } from './redrive-scenario.js';

const ids = Array.from({ length: 10 }, (_, i) => `00000000-0000-7000-8000-${String(i + 1).padStart(12, '0')}`);
const [plain, withResult, parent, withProgress, failing, retried, returned, batchA, batchB, stale] = ids as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const childOnSuccess = '00000000-0000-7000-8000-0000000000c1';
const childOnFailure = '00000000-0000-7000-8000-0000000000c2';

function newJob(id: string, overrides: Partial<NewJob> = {}): NewJob {
  return newJobRecord(id, { args: [id], ...overrides });
}

/**
 * The same outcomes, one storage each: a mixed batch (successes beside failures, a retry and a
 * return, so that SQL storages write it through the general path), a batch of successes only (the
 * fast path where a storage has one), a repeat and a stale completion. Returns everything a caller
 * can observe (lease tokens are not: they are drawn at random, and only compared by the storage).
 */
async function runScenario(storage: Storage, clock: ManualClock): Promise<Json> {
  const events: StorageEvent[] = [];
  const unsubscribe = storage.subscribe((event) => events.push(event));
  try {
    await storage.jobsCreate({ jobs: ids.map((id) => newJob(id)) });
    await storage.jobsCreate({
      jobs: [
        newJob(childOnSuccess, { state: 'awaiting', parentId: parent, continueOn: 'succeeded' }),
        newJob(childOnFailure, { state: 'awaiting', parentId: failing, continueOn: 'failed' }),
      ],
    });
    clock.advance(1_000);
    const fetched = await storage.jobsFetch({ queues: ['default'], names: null, limit: ids.length, serverId: SERVER, leaseMs: LEASE_MS });
    const leases = new Map(fetched.map((job: FetchedJob) => [job.id, job.leaseToken]));
    expect([...leases.keys()].sort()).toEqual([...ids].sort());
    await storage.jobProgressSet({ id: withProgress, leaseToken: leases.get(withProgress)!, progress: 40 });
    clock.advance(1_000);
    const complete = (id: string, outcome: CompletionOutcome, leaseToken = leases.get(id)!) => ({ id, leaseToken, outcome });
    const succeeded = (result: Json = null): CompletionOutcome => ({ state: 'succeeded', result, reason: 'Succeeded' });
    const mixed = await storage.jobsComplete({
      serverId: SERVER,
      completions: [
        complete(plain, succeeded()),
        complete(withResult, succeeded({ rows: 3, note: 'done' })),
        complete(failing, { state: 'failed', error: testError('gave up'), reason: 'Failed after 3 attempts' }),
        complete(retried, { state: 'scheduled', error: testError('again'), runAt: new Date(clock.now() + 60_000), reason: 'Retry 1 of 3' }),
        complete(returned, { state: 'enqueued', refundAttempt: true, reason: 'Server stopping' }),
      ],
    });
    clock.advance(1_000);
    const successesOnly = await storage.jobsComplete({
      serverId: SERVER,
      completions: [
        complete(parent, succeeded()),
        complete(withProgress, succeeded(7)),
        complete(batchA, succeeded(), leases.get(batchB)!), // another job's token: refused
        complete(batchB, succeeded('b')),
        complete(plain, succeeded()), // a repeat of a recorded completion
      ],
    });
    clock.advance(1_000);
    const afterRefusal = await storage.jobsComplete({ serverId: SERVER, completions: [complete(batchA, succeeded()), complete(stale, succeeded())] });
    const jobs: Json[] = [];
    for (const id of [...ids, childOnSuccess, childOnFailure]) {
      const details = await storage.monitoring.jobDetails({ id });
      expect(details, id).not.toBeNull();
      jobs.push(JSON.parse(JSON.stringify({ job: details!.job, history: details!.history })) as Json);
    }
    const stats = await storage.monitoring.stats();
    const series = await storage.monitoring.timeSeries({ bucket: 'hour', from: new Date(START - 3_600_000), to: new Date(clock.now()) });
    const queues = await storage.monitoring.queues();
    return JSON.parse(
      JSON.stringify({
        answers: [mixed.results, successesOnly.results, afterRefusal.results],
        jobs,
        states: Object.fromEntries(JOB_STATES.map((s) => [s, stats.states[s]])),
        series,
        queues,
        stateEvents: events.flatMap((e) => (e.type === 'job-state' ? [`${e.id} ${e.state}`] : [])).sort(),
        enqueuedQueues: [...new Set(events.flatMap((e) => (e.type === 'jobs-enqueued' ? e.queues : [])))].sort(),
      }),
    ) as Json;
  } finally {
    unsubscribe();
  }
}

/**
 * The writes a storage fixes in advance for its hot paths (a statement for a batch of successes)
 * must write what its general path writes: the same rows, history, counters, answers and events.
 */
export function fastAndGeneralTests(target: ConformanceTarget): void {
  describe('fast and general writes', () => {
    it('record the same outcomes identically through the fast and the general path', async () => {
      const fastClock = new ManualClock(START);
      const generalClock = new ManualClock(START);
      const fast = await target.create({ clock: fastClock });
      // A storage with no writes fixed in advance has one path: it is compared with a second instance.
      const general = await (target.createGeneralWritesOnly ?? target.create)({ clock: generalClock });
      try {
        const viaFast = await runScenario(fast, fastClock);
        const viaGeneral = await runScenario(general, generalClock);
        expect(viaFast).toEqual(viaGeneral);
      } finally {
        await general.close();
        await fast.close();
      }
    });

    it('redrive the same dead letters identically together and one by one', async () => {
      const fastClock = new ManualClock(START);
      const generalClock = new ManualClock(START);
      const fast = await target.create({ clock: fastClock });
      const general = await (target.createGeneralWritesOnly ?? target.create)({ clock: generalClock });
      try {
        if (!fast.capabilities.deadLetters) return;
        const together = await runRedriveScenario(fast, fastClock);
        const oneByOne = await runRedriveScenario(general, generalClock);
        expect(together).toEqual(oneByOne);
      } finally {
        await general.close();
        await fast.close();
      }
    });
  });
}
