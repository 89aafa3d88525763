import { describe, expect, it } from 'vitest';

import { redisAvailable } from './redis-test-env.js';
import { job, useScriptHooks } from './script-hooks.js';

// What the conformance suite's race with fetchers can only hit by chance on Redis: a write that
// lands between a replacing create's read of the holder and the script that writes core's decision.
const available = await redisAvailable();
const { open, fresh } = useScriptHooks('replace');

const replace = (id: string, v: number) => job(id, { uniqueKey: 'sync:42', onDuplicate: 'replace', args: { v } });

describe.skipIf(!available)("onDuplicate: 'replace' on Redis", () => {
  it('takes the key over instead of replacing when a claim came between its read and its write', async () => {
    const { prefix, clock, storage, ids, before, replies } = await fresh();
    const other = await open(prefix, clock);
    const holder = ids.next();
    await storage.jobsCreate({ jobs: [job(holder, { uniqueKey: 'sync:42', args: { v: 1 } })] });
    before.set('jobsCreateReplacing', async () => {
      expect(await other.storage.jobsFetch({ queues: ['default'], names: null, limit: 10, serverId: 'server-2', leaseMs: 30_000 })).toHaveLength(1);
    });
    const incoming = ids.next();
    expect((await storage.jobsCreate({ jobs: [replace(incoming, 2)] })).jobs).toEqual([{ id: incoming, created: true, state: 'enqueued' }]);
    // The first script found the holder claimed and wrote nothing; core decided again: a take-over.
    expect(replies.filter(([name]) => name === 'jobsCreateReplacing').map(([, reply]) => (reply as string[])[0])).toEqual(['stale', incoming]);
    // The claimed job runs with what it was claimed with, and has given its key up.
    expect(await storage.jobGet({ id: holder })).toMatchObject({ state: 'processing', args: { v: 1 }, uniqueKey: null });
    expect((await storage.monitoring.jobDetails({ id: holder }))!.history.map((h) => h.state)).toEqual(['enqueued', 'processing']);
    expect(await storage.jobGet({ id: incoming })).toMatchObject({ state: 'enqueued', args: { v: 2 }, uniqueKey: 'sync:42' });
  });

  it('replaces the holder another create made between its read and its write', async () => {
    const { prefix, clock, storage, ids, before, replies } = await fresh();
    const other = await open(prefix, clock);
    const holder = ids.next();
    before.set('jobsCreateReplacing', async () => {
      expect((await other.storage.jobsCreate({ jobs: [job(holder, { uniqueKey: 'sync:42', args: { v: 1 } })] })).jobs[0]!.created).toBe(true);
    });
    expect((await storage.jobsCreate({ jobs: [replace(ids.next(), 2)] })).jobs).toEqual([{ id: holder, created: false, state: 'enqueued' }]);
    expect(replies.filter(([name]) => name === 'jobsCreateReplacing').map(([, reply]) => (reply as string[])[0])).toEqual(['stale', holder]);
    expect((await storage.jobGet({ id: holder }))!.args).toEqual({ v: 2 });
  });

  it('runs plain creates through the plain script', async () => {
    const { storage, ids, ran } = await fresh();
    await storage.jobsCreate({ jobs: [job(ids.next(), { uniqueKey: 'k' }), job(ids.next())] });
    expect(ran.filter((name) => name.startsWith('jobsCreate'))).toEqual(['jobsCreate']);
  });
});
