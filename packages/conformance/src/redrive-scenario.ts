import { expect } from 'vitest';

import { JOB_STATES } from '@spool/core';
import type { CompletionOutcome, FetchedJob, Json, ManualClock, NewJob, Storage, StorageEvent } from '@spool/core';

import { LEASE_MS, SERVER, newJobRecord, testError } from './harness.js';

const id = (n: number): string => `00000000-0000-7000-8000-${String(n).padStart(12, 'd')}`;
const [plainA, plainB, edited, keyed, member1, member2, member3, living] = [1, 2, 3, 4, 5, 6, 7, 8].map(id) as [string, string, string, string, string, string, string, string];
const then = id(9);
const batchId = id(10);
const unknown = id(11);
const dying = [plainA, plainB, edited, keyed, member3];

function newJob(jobId: string, overrides: Partial<NewJob> = {}): NewJob {
  return newJobRecord(jobId, { args: [jobId], ...overrides });
}

/**
 * One storage's answer to the same redrive: dead letters of every kind (plain, with edited
 * arguments, holding a unique key, a member of a batch), redriven in one call beside a job that is
 * no dead letter, one that does not exist and a job named twice; then the batch member runs and
 * finishes its batch. Returns everything a caller can observe, so that a storage's set-based redrive
 * can be compared with its per-job one (a storage without batches leaves the batch out).
 */
export async function runRedriveScenario(storage: Storage, clock: ManualClock): Promise<Json> {
  const events: StorageEvent[] = [];
  const unsubscribe = storage.subscribe((event) => events.push(event));
  const withBatch = storage.capabilities.batches;
  try {
    await storage.jobsCreate({ jobs: [newJob(plainA), newJob(plainB), newJob(edited), newJob(keyed, { uniqueKey: 'redrive-key' }), newJob(living)] });
    if (withBatch) {
      const members = [member1, member2, member3].map((m) => ({ job: newJob(m), batchId, hasDependents: false }));
      const waiting = { job: newJob(then, { state: 'awaiting', reason: 'Awaiting its batch', queue: 'then' }), batchId: null, hasDependents: false };
      await storage.flows!.flowsCreate({
        batches: [{ id: batchId, description: null, parentBatchId: null }],
        jobs: [...members, waiting],
        dependencies: [{ childId: then, parentId: batchId, parentKind: 'batch', policy: 'skip' }],
      });
    }
    clock.advance(1_000);
    const fetched = await storage.jobsFetch({ queues: ['default'], names: null, limit: 20, serverId: SERVER, leaseMs: LEASE_MS });
    const leases = new Map(fetched.map((job: FetchedJob) => [job.id, job.leaseToken]));
    const complete = (jobId: string, outcome: CompletionOutcome) => ({ id: jobId, leaseToken: leases.get(jobId)!, outcome });
    const succeeded: CompletionOutcome = { state: 'succeeded', result: null, reason: 'Succeeded' };
    const dead: CompletionOutcome = { state: 'failed', error: testError('gave up'), reason: 'No attempts left', deadLetter: true };
    await storage.jobsComplete({ serverId: SERVER, completions: [living, ...(withBatch ? [member1, member2] : [])].map((j) => complete(j, succeeded)) });
    await storage.jobsComplete({ serverId: SERVER, completions: dying.filter((j) => withBatch || j !== member3).map((j) => complete(j, dead)) });
    clock.advance(1_000);
    const redriven = await storage.deadLettersRedrive({
      reason: 'Redriven by request',
      redrives: [{ id: plainA }, { id: living }, { id: edited, args: { fixed: true } }, { id: unknown }, { id: keyed }, { id: member3 }, { id: plainB }, { id: plainA }],
    });
    clock.advance(1_000);
    const again = await storage.jobsFetch({ queues: ['default'], names: null, limit: 20, serverId: SERVER, leaseMs: LEASE_MS });
    await storage.jobsComplete({ serverId: SERVER, completions: again.map((job) => ({ id: job.id, leaseToken: job.leaseToken, outcome: succeeded })) });
    const jobs: Json[] = [];
    for (const jobId of [plainA, plainB, edited, keyed, living, ...(withBatch ? [member1, member2, member3, then] : [])]) {
      const details = await storage.monitoring.jobDetails({ id: jobId });
      expect(details, jobId).not.toBeNull();
      jobs.push(JSON.parse(JSON.stringify({ job: details!.job, history: details!.history })) as Json);
    }
    const stats = await storage.monitoring.stats();
    return JSON.parse(
      JSON.stringify({
        redriven: redriven.results,
        fetchedAgain: again.map((job) => job.id).sort(),
        jobs,
        batch: withBatch ? await storage.flows!.batchGet({ id: batchId }) : null,
        states: Object.fromEntries(JOB_STATES.map((s) => [s, stats.states[s]])),
        queues: await storage.monitoring.queues(),
        stateEvents: events.flatMap((e) => (e.type === 'job-state' ? [`${e.id} ${e.state}`] : [])).sort(),
        enqueuedQueues: [...new Set(events.flatMap((e) => (e.type === 'jobs-enqueued' ? e.queues : [])))].sort(),
      }),
    ) as Json;
  } finally {
    unsubscribe();
  }
}
