import { describe, expect, it } from 'vitest';

import {
  ManualClock,
  MemoryStorage,
  Spool,
  batchCountsDelta,
  batchFinishes,
  defineJob,
  dependencyIntent,
  orderFlowSteps,
  BATCH_PARAMETER,
  STEP_PARAMETER,
  JOB_STATES,
  STATE_FACTS,
} from '@spool/core';
import type { JobContext, Storage } from '@spool/core';

const step = (name: string, ...dependsOn: string[]) => ({ name, dependsOn: dependsOn.map((d) => ({ step: d, onFailure: 'fail' as const })) });

describe('flow graphs', () => {
  it('orders steps after the steps they depend on', () => {
    const order = orderFlowSteps([step('close', 'ship', 'notify'), step('ship', 'charge'), step('notify', 'charge'), step('charge')]).map((s) => s.name);
    expect(order.indexOf('charge')).toBeLessThan(order.indexOf('ship'));
    expect(order.indexOf('ship')).toBeLessThan(order.indexOf('close'));
    expect(order.indexOf('notify')).toBeLessThan(order.indexOf('close'));
  });

  it('refuses a circle with ERR_FLOW_CYCLE naming it', () => {
    expect(() => orderFlowSteps([step('a', 'c'), step('b', 'a'), step('c', 'b'), step('d')])).toThrow(expect.objectContaining({ code: 'ERR_FLOW_CYCLE', cycle: ['a', 'c', 'b', 'a'] }));
    expect(() => orderFlowSteps([step('self', 'self')])).toThrow(expect.objectContaining({ code: 'ERR_FLOW_CYCLE', cycle: ['self', 'self'] }));
  });

  it('reports every other problem at once with ERR_FLOW_INVALID', () => {
    let error: unknown;
    try {
      orderFlowSteps([step('a', 'missing'), step('a'), step('', 'a'), { name: 'b', dependsOn: [{ step: 'a', onFailure: 'explode' as never }] }]);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_FLOW_INVALID' });
    expect((error as { problems: string[] }).problems).toHaveLength(4);
  });
});

describe('batch counters and dependencies, as core decides them', () => {
  it('counts a member once when it finishes, and back out when it is requeued', () => {
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        const delta = batchCountsDelta(from, to);
        const finished = Number(STATE_FACTS[to].finished) - Number(STATE_FACTS[from].finished);
        expect(delta?.finished ?? 0).toBe(finished);
        if (delta) expect(delta.succeeded + delta.failed).toBe(delta.finished);
      }
    }
    expect(batchCountsDelta('processing', 'succeeded')).toEqual({ finished: 1, succeeded: 1, failed: 0 });
    expect(batchCountsDelta('failed', 'enqueued')).toEqual({ finished: -1, succeeded: 0, failed: -1 });
    expect(batchCountsDelta('failed', 'deleted')).toBeNull();
    expect(batchCountsDelta('processing', 'scheduled')).toBeNull();
  });

  it('finishes a batch once, when its last member finishes', () => {
    expect(batchFinishes({ total: 3, finished: 2, succeeded: 2, failed: 0, finishedAt: null })).toBeNull();
    expect(batchFinishes({ total: 3, finished: 3, succeeded: 2, failed: 1, finishedAt: null })).toEqual({ state: 'failed', parentDelta: { finished: 1, succeeded: 0, failed: 1 } });
    expect(batchFinishes({ total: 3, finished: 3, succeeded: 3, failed: 0, finishedAt: null })?.state).toBe('succeeded');
    expect(batchFinishes({ total: 3, finished: 3, succeeded: 3, failed: 0, finishedAt: 1 })).toBeNull();
  });

  it('releases a child at its last dependency, and fails, skips or runs it on a failed parent', () => {
    expect(dependencyIntent('job', 'p', 'succeeded', 'fail', 1)).toBeNull();
    expect(dependencyIntent('job', 'p', 'succeeded', 'fail', 0)?.to).toBe('enqueued');
    expect(dependencyIntent('job', 'p', 'failed', 'fail', 3)).toMatchObject({ to: 'failed', cause: { error: { code: 'ERR_DEPENDENCY_FAILED' } } });
    expect(dependencyIntent('job', 'p', 'deleted', 'skip', 3)?.to).toBe('deleted');
    expect(dependencyIntent('batch', 'b', 'failed', 'run', 0)?.to).toBe('enqueued');
    expect(dependencyIntent('job', 'p', 'processing', 'fail', 0)).toBeNull();
  });
});

describe('spool.batch and spool.flow', () => {
  const make = (storage: Storage = new MemoryStorage({ clock: new ManualClock(Date.UTC(2030, 0, 1)) })) => {
    const log: string[] = [];
    const page = defineJob('pages.render', (args: { page: number }) => ({ page: args.page }));
    const zip = defineJob('pages.zip', () => 'zipped');
    const charge = defineJob('order.charge', () => ({ charged: 42 }));
    const ship = defineJob('order.ship', async (_: null, ctx: JobContext) => {
      const parents = await ctx.parents();
      log.push(`ship after ${JSON.stringify(parents['charge']?.result)}`);
      return 'shipped';
    });
    const broken = defineJob('order.broken', () => {
      throw new Error('card declined');
    }, { attempts: 1 });
    const close = defineJob('order.close', async (_: null, ctx: JobContext) => Object.keys(await ctx.parents()).sort());
    const spool = new Spool({ storage, jobs: [page, zip, charge, ship, close, broken] });
    return { spool, log, page, zip, charge, ship, close, broken, storage };
  };

  it('creates a batch atomically, tags its members and runs its continuation after the last one', async () => {
    const { spool, page, zip } = make();
    let pages: string[] = [];
    let then = '';
    const batchId = await spool.batch(
      (b) => {
        pages = b.enqueueMany(page, [{ page: 1 }, { page: 2 }]);
        then = b.then(zip, null);
      },
      { description: 'export' },
    );
    expect(await spool.batches.get(batchId)).toMatchObject({ description: 'export', total: 2, pending: 2, status: 'running' });
    expect(await spool.getParameter(pages[0]!, BATCH_PARAMETER)).toBe(batchId);
    expect((await spool.getJob(then))!.state).toBe('awaiting');
    for (const id of pages) await spool.perform(id);
    expect(await spool.batches.get(batchId)).toMatchObject({ finished: 2, succeeded: 2, pending: 0, status: 'succeeded' });
    expect((await spool.getJob(then))!.state).toBe('enqueued');
  });

  it('hands a step its parents\' results by step name', async () => {
    const { spool, log, charge, ship, close } = make();
    const flow = await spool.flow([
      { name: 'charge', job: charge },
      { name: 'ship', job: ship, dependsOn: ['charge'] },
      { name: 'notify', job: ship, dependsOn: ['charge'] },
      { name: 'close', job: close, dependsOn: ['ship', 'notify'] },
    ]);
    expect(await spool.getParameter(flow.jobs['ship']!, STEP_PARAMETER)).toBe('ship');
    await spool.perform(flow.jobs['charge']!);
    await spool.perform(flow.jobs['ship']!);
    await spool.perform(flow.jobs['notify']!);
    expect(log).toEqual(['ship after {"charged":42}', 'ship after {"charged":42}']);
    expect((await spool.perform(flow.jobs['close']!)).state).toBe('succeeded');
    expect((await spool.getJob(flow.jobs['close']!))!.result).toEqual(['notify', 'ship']);
    expect(await spool.batches.get(flow.id)).toMatchObject({ total: 4, succeeded: 4, status: 'succeeded' });
  });

  it('settles the children of a failed step by their policies', async () => {
    const { spool, broken, ship, close } = make();
    const flow = await spool.flow([
      { name: 'charge', job: broken },
      { name: 'ship', job: ship, dependsOn: ['charge'] },
      { name: 'refund', job: close, dependsOn: [{ step: 'charge', onFailure: 'run' }] },
      { name: 'notify', job: ship, dependsOn: ['charge'], onParentFailure: 'skip' },
    ]);
    expect((await spool.perform(flow.jobs['charge']!)).state).toBe('failed');
    expect((await spool.getJob(flow.jobs['ship']!))!.error).toMatchObject({ code: 'ERR_DEPENDENCY_FAILED' });
    expect((await spool.getJob(flow.jobs['notify']!))!.state).toBe('deleted');
    expect((await spool.getJob(flow.jobs['refund']!))!.state).toBe('enqueued');
  });

  it('refuses a circle before writing anything', async () => {
    const { spool, charge, storage } = make();
    await expect(
      spool.flow([
        { name: 'a', job: charge, dependsOn: ['b'] },
        { name: 'b', job: charge, dependsOn: ['a'] },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_FLOW_CYCLE' });
    expect((await storage.monitoring.stats()).states.enqueued + (await storage.monitoring.stats()).states.awaiting).toBe(0);
  });

  it('writes nothing when the callback throws, and refuses unique keys in a batch', async () => {
    const { spool, page, storage } = make();
    await expect(
      spool.batch((b) => {
        b.enqueue(page, { page: 1 });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await expect(spool.batch((b) => void b.enqueue(page, { page: 1 }, { uniqueKey: 'k' } as never))).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(spool.flow([{ name: 'a', job: page, args: { page: 1 } }, { name: 'b', job: page, dependsOn: ['a'], options: { delay: '1m' } }])).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    expect((await storage.monitoring.stats()).states.enqueued).toBe(0);
    expect((await spool.batches.list()).batches).toEqual([]);
  });

  it('attaches jobs to an existing batch, and refuses an unknown one', async () => {
    const { spool, page } = make();
    const batchId = await spool.batch((b) => void b.enqueue(page, { page: 1 }));
    const [added] = await spool.batches.attach(batchId, (b) => void b.enqueue(page, { page: 2 }));
    expect(await spool.batches.get(batchId)).toMatchObject({ total: 2 });
    expect((await spool.batches.jobs(batchId)).jobs.map((j) => j.id)).toContain(added);
    await expect(spool.batches.attach('0190a0a0-0000-7000-8000-000000000000', () => undefined)).rejects.toMatchObject({ code: 'ERR_BATCH_NOT_FOUND' });
  });

  it('fails with ERR_CAPABILITY_MISSING on a storage without batches', async () => {
    const base = new MemoryStorage();
    const storage = Object.create(base, { capabilities: { value: { ...base.capabilities, batches: false } }, flows: { value: undefined } }) as Storage;
    const { spool, page } = make(storage);
    await expect(spool.batch((b) => void b.enqueue(page, { page: 1 }))).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
    await expect(spool.flow([{ name: 'a', job: page }])).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
  });
});
