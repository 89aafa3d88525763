import { describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob } from '@spool/core';
import type { Storage } from '@spool/core';

const sync = defineJob('crm.sync', async (_args: { account: string; changes: number }) => undefined, { queue: 'sync' });

describe("onDuplicate: 'replace' through the client (debounce)", () => {
  it('pushes a scheduled sync later with the latest arguments, and keeps one job for the key', async () => {
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [sync] });
    const first = await spool.enqueue(sync, { account: 'a1', changes: 1 }, { uniqueKey: 'sync:a1', onDuplicate: 'replace', delay: '10s' });
    const before = (await spool.getJob(first))!.runAt!.getTime();
    const again = await spool.enqueue(sync, { account: 'a1', changes: 2 }, { uniqueKey: 'sync:a1', onDuplicate: 'replace', delay: '1m' });
    expect(again).toBe(first);
    const job = (await spool.getJob(first))!;
    expect(job.args).toEqual({ account: 'a1', changes: 2 });
    expect(job.runAt!.getTime()).toBeGreaterThan(before);
    // keep (the default) answers with the job and changes nothing.
    expect(await spool.enqueue(sync, { account: 'a1', changes: 3 }, { uniqueKey: 'sync:a1', delay: '5m' })).toBe(first);
    expect((await spool.getJob(first))!.args).toEqual({ account: 'a1', changes: 2 });
    expect((await spool.stats()).states.scheduled).toBe(1);
    await spool.close();
  });

  it("refuses 'replace' without a unique key, and on a storage without replaceDuplicates, before anything is written", async () => {
    const memory = new MemoryStorage();
    const spool = new Spool({ storage: memory, jobs: [sync] });
    await expect(spool.enqueue(sync, { account: 'a1', changes: 1 }, { onDuplicate: 'replace' })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      problems: [{ path: 'enqueue options.onDuplicate' }],
    });
    const withoutChanges = Object.create(memory, { capabilities: { value: { ...memory.capabilities, replaceDuplicates: false } } }) as Storage;
    const limited = new Spool({ storage: withoutChanges, jobs: [sync] });
    await expect(limited.enqueue(sync, { account: 'a1', changes: 1 }, { uniqueKey: 'sync:a1', onDuplicate: 'replace' })).rejects.toMatchObject({
      code: 'ERR_CAPABILITY_MISSING',
    });
    expect((await spool.stats()).states.enqueued).toBe(0);
    await spool.close();
  });
});
