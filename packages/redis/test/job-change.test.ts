import { describe, expect, it } from 'vitest';

import { redisAvailable } from './redis-test-env.js';
import { job, useScriptHooks } from './script-hooks.js';

// What the conformance suite's race can only hit by chance on Redis: a write that lands between a
// change's read of the job and the script that writes core's decision.
const available = await redisAvailable();
const { open, fresh } = useScriptHooks('change');

const fetchAll = (storage: Awaited<ReturnType<typeof fresh>>['storage'], serverId: string) =>
  storage.jobsFetch({ queues: ['default'], names: null, limit: 10, serverId, leaseMs: 30_000 });

describe.skipIf(!available)('changing a waiting job on Redis', () => {
  it('refuses a change when a claim came between its read and its write, and changes nothing', async () => {
    const { prefix, clock, storage, ids, before, replies } = await fresh();
    const other = await open(prefix, clock);
    const id = ids.next();
    await storage.jobsCreate({ jobs: [job(id, { args: { v: 0 } })] });
    before.set('jobChange', async () => {
      expect(await fetchAll(other.storage, 'server-2')).toHaveLength(1);
    });
    expect(await storage.jobChange({ id, change: { args: { v: 1 }, priority: 3 } })).toEqual({ ok: false, previous: 'processing', refused: 'not-waiting' });
    // The script found the job claimed, wrote nothing, and core refused on what it found.
    expect(replies.filter(([name]) => name === 'jobChange').map(([, reply]) => (reply as unknown[])[0])).toEqual([0]);
    const stored = await storage.jobGet({ id });
    expect(stored).toMatchObject({ state: 'processing', args: { v: 0 }, priority: 0 });
    expect((await storage.monitoring.jobDetails({ id }))!.history.map((h) => h.state)).toEqual(['enqueued', 'processing']);
  });

  it('decides again on what it finds when another change came between its read and its write', async () => {
    const { prefix, clock, storage, ids, before, replies } = await fresh();
    const other = await open(prefix, clock);
    const id = ids.next();
    await storage.jobsCreate({ jobs: [job(id)] });
    before.set('jobChange', async () => {
      expect(await other.storage.jobChange({ id, change: { priority: 5 } })).toMatchObject({ ok: true });
    });
    expect(await storage.jobChange({ id, change: { priority: 9, queue: 'other' } })).toEqual({ ok: true, previous: 'enqueued' });
    expect(replies.filter(([name]) => name === 'jobChange').map(([, reply]) => (reply as unknown[])[0])).toEqual([0, 1]);
    const history = (await storage.monitoring.jobDetails({ id }))!.history;
    // The second decision starts from the priority the other change wrote.
    expect(history.at(-1)!.data).toEqual({ changed: { priority: { from: 5, to: 9 }, queue: { from: 'default', to: 'other' } } });
    const queues = await storage.monitoring.queues();
    expect(queues.find((q) => q.name === 'default')?.enqueued ?? 0).toBe(0);
    expect(queues.find((q) => q.name === 'other')?.enqueued).toBe(1);
  });
});
