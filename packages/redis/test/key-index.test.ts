import { describe, expect, it } from 'vitest';

import { LIMIT_KEY_PARAMETER, Spool, defineJob, resolveLimits } from '@spool/core';
import type { FetchedJob, LimitScope, LimitsOption, NewJob } from '@spool/core';
import { keyHeadRows, limitsInForce } from '@spool/core/storage-kit';
import type { RedisStorage } from '@spool/redis';

import { keyIndexAgainstJobs } from './key-index-check.js';
import { redisAvailable } from './redis-test-env.js';
import { job, useScriptHooks } from './script-hooks.js';

// The key index (enqueued jobs with a limit key, per queue, name and key) must stay exact through
// every way a job enters or leaves 'enqueued', or is changed while there: a claim key by key
// trusts it. Each test drives keyed jobs through some of those ways and compares the index with
// the jobs as stored after every step.
const available = await redisAvailable();
const { fresh } = useScriptHooks('keyidx');

async function setLimits(storage: RedisStorage, scope: LimitScope, option: LimitsOption): Promise<void> {
  await storage.limitsSet({ scope, layer: 'code', limits: resolveLimits(option, 'limits'), setBy: null });
}

describe.skipIf(!available)('the key index on Redis', () => {
  async function setup() {
    const env = await fresh();
    const keyed = (key: string, overrides: Partial<NewJob> = {}) =>
      job(env.ids.next(), { name: 'sync', ...overrides, parameters: { [LIMIT_KEY_PARAMETER]: key, ...overrides.parameters } });
    const exact = async (step: string) => {
      const { stored, indexed } = await keyIndexAgainstJobs(env.admin, env.prefix);
      expect(indexed, `the key index after ${step}`).toEqual(stored);
    };
    const fetch = (limit: number, leaseMs = 30_000, queues = ['default', 'other']) => env.storage.jobsFetch({ queues, names: null, limit, serverId: 'server-1', leaseMs });
    const complete = (j: FetchedJob, outcome: Parameters<RedisStorage['jobsComplete']>[0]['completions'][number]['outcome']) =>
      env.storage.jobsComplete({ completions: [{ id: j.id, leaseToken: j.leaseToken, outcome }], serverId: 'server-1' });
    return { ...env, keyed, exact, fetch, complete };
  }

  it('holds the enqueued keyed jobs through creates, claims, outcomes, retries, promotions and rescues', async () => {
    const { storage, clock, keyed, exact, fetch, complete } = await setup();
    const created = [keyed('a'), keyed('a', { priority: 5 }), keyed('b'), keyed('c', { state: 'scheduled', runAt: new Date(clock.now() + 1_000) }), job('plain-0000001')];
    await storage.jobsCreate({ jobs: created });
    await exact('a create');
    // A claim without limits (jobs_fetch) takes keyed jobs out too.
    const [first, second] = await fetch(2);
    await exact('a claim without limits');
    await complete(first!, { state: 'scheduled', runAt: new Date(clock.now() + 500), error: { name: 'Error', message: 'again' }, reason: 'Retry' });
    await complete(second!, { state: 'enqueued', reason: 'Handed back', refundAttempt: true });
    await exact('a retry and a hand-back');
    clock.advance(2_000);
    await storage.scheduledPromoteDue({ limit: 10 });
    await exact('promotions');
    const short = await fetch(3, 1_000);
    expect(short.length).toBeGreaterThan(0);
    clock.advance(5_000);
    await storage.leasesRescueExpired({ limit: 10, maxRescues: 5 });
    await exact('a rescue of expired leases');
    for (const j of await fetch(10)) await complete(j, { state: 'succeeded', result: null, reason: 'Succeeded' });
    await exact('every job succeeded');
  });

  it('holds them through a claim under per-key limits, skips included', async () => {
    const { storage, keyed, exact, fetch, complete } = await setup();
    await setLimits(storage, { job: 'sync' }, { perKey: { concurrency: 1 } });
    await setLimits(storage, { job: 'crm' }, { perKey: { concurrency: 1, onLocked: 'skip' } });
    await storage.jobsCreate({ jobs: [keyed('a'), keyed('a'), keyed('b'), keyed('x', { name: 'crm' }), keyed('x', { name: 'crm' }), job('plain-0000002', { name: 'sync' })] });
    await exact('a create');
    const got = await fetch(10);
    // One of a, one of b, the job without a key, one of crm's x (the other skipped: deleted).
    expect(got).toHaveLength(4);
    await exact('a claim key by key');
    for (const j of got) await complete(j, { state: 'succeeded', result: null, reason: 'Succeeded' });
    expect(await fetch(10)).toHaveLength(1);
    await exact('a second claim');
  });

  it('holds them through operators: deletes, requeues, changes of queue and priority, and a change of key', async () => {
    const { storage, keyed, exact, fetch, complete, ids } = await setup();
    const jobs = [keyed('a'), keyed('a'), keyed('b'), keyed('b')];
    await storage.jobsCreate({ jobs });
    await storage.jobSetState({ id: jobs[0]!.id, expected: ['enqueued'], state: 'deleted', reason: 'Deleted by request' });
    await exact('a delete');
    expect((await storage.jobChange({ id: jobs[1]!.id, change: { queue: 'other' } })).ok).toBe(true);
    expect((await storage.jobChange({ id: jobs[2]!.id, change: { priority: 3 } })).ok).toBe(true);
    await exact('changes of queue and priority');
    await storage.jobParameterSet({ id: jobs[3]!.id, key: LIMIT_KEY_PARAMETER, value: 'c' });
    await exact('a change of key');
    await storage.jobParameterSet({ id: jobs[2]!.id, key: LIMIT_KEY_PARAMETER, value: null });
    await exact('a key removed');
    await storage.jobSetState({ id: jobs[0]!.id, expected: ['deleted'], state: 'enqueued', reason: 'Requeued by request', resetAttempts: true });
    await exact('a requeue');
    for (const j of await fetch(10)) await complete(j, { state: 'failed', error: { name: 'Error', message: 'no' }, reason: 'No attempts left; moved to the dead letters', deadLetter: true });
    await exact('dead letters');
    const failed = jobs.filter((j) => j.id !== jobs[2]!.id).map((j) => ({ id: j.id }));
    await storage.deadLettersRedrive({ redrives: failed, reason: 'Redriven' });
    await exact('a redrive');
    await storage.jobsCreate({ jobs: [keyed('d', { id: ids.next(), state: 'scheduled', runAt: new Date(Date.UTC(2031, 0, 1)) })] });
    await exact('a scheduled create');
  });

  it('holds them through continuations, duplicates replaced, batches and flows', async () => {
    const { storage, keyed, exact, fetch, complete } = await setup();
    const parent = keyed('p');
    const child = keyed('c', { state: 'awaiting', parentId: parent.id, continueOn: 'succeeded', reason: 'Awaiting its parent' });
    await storage.jobsCreate({ jobs: [parent, child] });
    const [running] = await fetch(1);
    await complete(running!, { state: 'succeeded', result: null, reason: 'Succeeded' });
    await exact('a continuation released');
    const sync = defineJob('sync', async (_args: { n: number }) => undefined);
    const spool = new Spool({ storage, jobs: [sync] });
    const first = await spool.enqueue('sync', { n: 1 }, { uniqueKey: 'u1', onDuplicate: 'replace', limitKey: 'k1' });
    const again = await spool.enqueue('sync', { n: 2 }, { uniqueKey: 'u1', onDuplicate: 'replace', limitKey: 'k1' });
    expect(again).toBe(first);
    await spool.changeJob(first, { args: { n: 3 } });
    await exact('a duplicate replaced and a change of arguments');
    await spool.batch((b) => {
      b.enqueue('sync', { n: 4 }, { limitKey: 'k2' });
      b.enqueue('sync', { n: 5 }, { limitKey: 'k3' });
    });
    await spool.flow([
      { name: 'first', job: 'sync', args: { n: 6 }, options: { limitKey: 'k4' } },
      { name: 'then', job: 'sync', args: { n: 7 }, options: { limitKey: 'k5' }, dependsOn: ['first'] },
    ]);
    await exact('a batch and a flow');
    for (let round = 0; round < 5; round++) for (const j of await fetch(10)) await complete(j, { state: 'succeeded', result: null, reason: 'Succeeded' });
    await exact('every job succeeded');
  });

  it('reads every key in turn when there are more keys than one read takes', async () => {
    const { storage, keyed, fetch } = await setup();
    await setLimits(storage, { job: 'sync' }, { perKey: { concurrency: 1 } });
    // 2,500 keys of two jobs each: more keys than one read goes through (2,000).
    const keys = Array.from({ length: 2_500 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 500) await storage.jobsCreate({ jobs: keys.slice(i, i + 500).flatMap((key) => [keyed(key), keyed(key)]) });
    // Every job claimed keeps running: the keys read first are full from then on, and the keys
    // after the first 2,000 are reached only by reads that go on from where the last one stopped.
    const keysLeased = new Set<string>();
    for (let claim = 0; claim < 5; claim++) for (const j of await fetch(500)) keysLeased.add(j.parameters[LIMIT_KEY_PARAMETER] as string);
    expect(keysLeased.size).toBe(2_500);
  });

  it("reads as many first jobs of each key as core's keyHeadRows says, for each kind of per-key limit", async () => {
    const cases: Array<{ name: LimitsOption; queue?: LimitsOption; want: number }> = [
      { name: { perKey: { concurrency: 3 } }, want: 10 },
      { name: { perKey: { concurrency: 3 } }, queue: { perKey: { concurrency: 5 } }, want: 10 },
      { name: { perKey: { concurrency: 3 } }, want: 2 },
      { name: { perKey: { rate: { limit: 4, per: '1m' } } }, want: 10 },
      { name: { perKey: { concurrency: 1, onLocked: 'skip' } }, want: 6 },
      { name: { concurrency: 5 }, queue: { perKey: { concurrency: 2 } }, want: 10 },
    ];
    for (const c of cases) {
      const { storage, keyed, replies } = await setup();
      await setLimits(storage, { job: 'sync' }, c.name);
      if (c.queue) await setLimits(storage, { queue: 'default' }, c.queue);
      await storage.jobsCreate({ jobs: ['a', 'b'].flatMap((key) => Array.from({ length: 8 }, () => keyed(key))) });
      replies.length = 0;
      await storage.jobsFetch({ queues: ['default'], names: null, limit: c.want, serverId: 'server-1', leaseMs: 30_000 });
      const read = replies.find(([name]) => name === 'jobsFetchCandidates')![1] as unknown[];
      const candidates = read[5] as string[];
      const perKey = new Map<string, number>();
      for (let i = 0; i < candidates.length; i += 3) perKey.set(candidates[i + 2]!, (perKey.get(candidates[i + 2]!) ?? 0) + 1);
      const records = (await storage.limitsList()).map((r) => ({ scope: r.scope, code: r.code, operator: r.operator }));
      const heads = keyHeadRows(limitsInForce(records), 'default', 'sync', c.want);
      expect(Object.fromEntries(perKey), JSON.stringify(c)).toEqual({ a: heads, b: heads });
    }
  });
});
