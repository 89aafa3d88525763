import { describe, expect, it } from 'vitest';

import { LIMIT_KEY_PARAMETER, resolveLimits } from '@spool/core';
import type { FetchedJob, LimitScope, LimitsOption } from '@spool/core';
import type { RedisStorage } from '@spool/redis';

import { redisAvailable } from './redis-test-env.js';
import { START, job, useScriptHooks } from './script-hooks.js';

// What the conformance suite cannot see of Redis's flow control: the scripts a claim runs, a write
// that meets a gate changed since its read, and the keys left once every job has finished.
const available = await redisAvailable();
const { open, fresh } = useScriptHooks('flow');

async function setLimits(storage: RedisStorage, scope: LimitScope, option: LimitsOption): Promise<void> {
  await storage.limitsSet({ scope, layer: 'code', limits: resolveLimits(option, 'limits'), setBy: null });
}

const fetch = (storage: RedisStorage, limit: number, serverId = 'server-1') => storage.jobsFetch({ queues: ['default', 'other'], names: null, limit, serverId, leaseMs: 30_000 });

const succeed = (storage: RedisStorage, jobs: FetchedJob[]) =>
  storage.jobsComplete({
    completions: jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Succeeded' } })),
    serverId: 'server-1',
  });

describe.skipIf(!available)('flow control on Redis', () => {
  it('claims the jobs of queues without limits in one script, also while other queues have limits', async () => {
    const { storage, ran, ids } = await fresh();
    await storage.jobsCreate({ jobs: [job(ids.next()), job(ids.next())] });
    ran.length = 0;
    expect(await fetch(storage, 1)).toHaveLength(1);
    expect(ran).toEqual(['jobsFetch']);
    await setLimits(storage, { queue: 'slow' }, { concurrency: 1 });
    ran.length = 0;
    expect(await fetch(storage, 1)).toHaveLength(1);
    expect(ran).toEqual(['jobsFetch']);
  });

  it('reads again when another claim changed a gate between its read and its write, and keeps the limit', async () => {
    const { prefix, clock, storage, ids, before, replies } = await fresh();
    const other = await open(prefix, clock);
    await setLimits(storage, { job: 'work' }, { concurrency: 2 });
    await storage.jobsCreate({ jobs: Array.from({ length: 4 }, () => job(ids.next(), { name: 'work' })) });
    let otherGot: FetchedJob[] = [];
    // Between this claim's read and its write, another server takes one of the two places.
    before.set('jobsFetchGated', async () => {
      otherGot = await fetch(other.storage, 1, 'server-2');
    });
    const got = await fetch(storage, 10);
    expect(otherGot).toHaveLength(1);
    expect(got).toHaveLength(1);
    const writes = replies.filter(([name]) => name === 'jobsFetchGated').map(([, reply]) => Number((reply as unknown[])[1]));
    expect(writes).toEqual([0, 1]);
    expect((await storage.limitsList())[0]!.running).toBe(2);
    expect((await storage.monitoring.stats()).states).toMatchObject({ processing: 2, enqueued: 2 });
  });

  it('leaves no gate behind once every job has given its gates back, rate windows included', async () => {
    const { prefix, admin, clock, storage, ids } = await fresh();
    await setLimits(storage, { job: 'sync' }, { concurrency: 5, perKey: { concurrency: 1, rate: { limit: 10, per: '1m' } } });
    const keyed = (key: string) => job(ids.next(), { name: 'sync', parameters: { [LIMIT_KEY_PARAMETER]: key } });
    await storage.jobsCreate({ jobs: [keyed('a'), keyed('b'), keyed('c'), keyed('a')] });
    const first = await fetch(storage, 10);
    expect(first).toHaveLength(3);
    expect(await admin.hget(`{${prefix}}:job:${first[0]!.id}`, 'gates')).toBe(JSON.stringify(['job:sync', 'job:sync#a']));
    // Past the rate window: what the gates counted in it no longer matters.
    clock.advance(60_000);
    await succeed(storage, first);
    const second = await fetch(storage, 10);
    expect(second).toHaveLength(1);
    await succeed(storage, second);
    expect(await admin.hget(`{${prefix}}:job:${first[0]!.id}`, 'gates')).toBe('');
    // The last start's window is still open: its key's gate keeps the start it counted, with nothing running.
    expect(await admin.hgetall(`{${prefix}}:gates`)).toEqual({ 'job:sync#a': `0 ${START + 60_000} 1 ${START + 120_000} 0` });
    await storage.jobsCreate({ jobs: [keyed('a')] });
    const third = await fetch(storage, 10);
    expect(third).toHaveLength(1);
    clock.advance(60_000);
    await succeed(storage, third);
    expect(await admin.exists(`{${prefix}}:gates`)).toBe(0);
  });
});
