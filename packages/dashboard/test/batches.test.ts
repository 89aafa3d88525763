import { afterEach, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { csrfOf, listen, post } from './http-harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setUp() {
  const charge = defineJob('order.charge', () => ({ charged: true }));
  const broken = defineJob('order.broken', () => {
    throw new Error('declined');
  }, { attempts: 1 });
  const spool = new Spool({ storage: new MemoryStorage(), jobs: [charge, broken] });
  const dashboard = await listen(createDashboard(spool));
  cleanups.push(async () => {
    await dashboard.close();
    await spool.close();
  });
  return { spool, dashboard, charge, broken };
}

describe('the batch and flow pages', () => {
  it("draws a flow's graph with each step's state, and shows its progress", async () => {
    const { spool, dashboard, charge } = await setUp();
    const flow = await spool.flow(
      [
        { name: 'charge', job: charge },
        { name: 'ship', job: charge, dependsOn: ['charge'] },
        { name: 'notify', job: charge, dependsOn: ['charge'] },
        { name: 'close', job: charge, dependsOn: ['ship', 'notify'] },
      ],
      { description: 'Order <o-7>' },
    );
    await spool.perform(flow.jobs['charge']!);

    const list = await (await fetch(`${dashboard.url}/batches`)).text();
    expect(list).toContain(`data-batch="${flow.id}"`);
    expect(list).toContain('Order &lt;o-7&gt;');

    const page = await (await fetch(`${dashboard.url}/batch/${flow.id}`)).text();
    expect(page).toContain('data-flow-graph');
    expect(page).toContain('data-step="charge" data-step-state="succeeded"');
    expect(page).toContain('data-step="ship" data-step-state="enqueued"');
    expect(page).toContain('data-step="close" data-step-state="awaiting"');
    expect(page).toContain('data-edge="ship->close"');
    expect(page).toContain('data-edge="charge->notify"');
    expect(page).toMatch(/data-batch-finished>1</);
    expect(page).toMatch(/data-batch-pending>3</);

    const api = (await (await fetch(`${dashboard.url}/api/batch/${flow.id}?state=awaiting`)).json()) as { batch: { total: number; status: string }; jobs: Array<{ id: string }> };
    expect(api.batch).toMatchObject({ total: 4, status: 'running' });
    expect(api.jobs.map((j) => j.id)).toEqual([flow.jobs['close']]);
  });

  it('retries the failed jobs of a batch and cancels it, recording both in the audit log', async () => {
    const { spool, dashboard, charge, broken } = await setUp();
    let failing = '';
    let waiting = '';
    const batchId = await spool.batch((b) => {
      failing = b.enqueue(broken, null);
      waiting = b.enqueue(charge, null);
      b.then(charge, null);
    });
    await spool.perform(failing);
    const page = await (await fetch(`${dashboard.url}/batch/${batchId}`)).text();
    expect(page).toContain('data-continuations');
    const _csrf = csrfOf(page);

    const retried = await post(`${dashboard.url}/actions/batches`, { _csrf, action: 'retry-failed', id: batchId, back: `/batch/${batchId}` });
    expect(retried.status).toBe(303);
    expect((await spool.getJob(failing))!.state).toBe('enqueued');

    const cancelled = await post(`${dashboard.url}/actions/batches`, { _csrf, action: 'cancel', id: batchId, back: `/batch/${batchId}` });
    expect(cancelled.status).toBe(303);
    expect(new URL(cancelled.headers.get('location') ?? '', dashboard.url).searchParams.get('notice')).toContain('2 jobs deleted');
    expect((await spool.getJob(waiting))!.state).toBe('deleted');
    expect(await spool.batches.get(batchId)).toMatchObject({ status: 'cancelled' });
    const actions = (await spool.storage.auditList({ limit: 10 })).map((e) => e.action);
    expect(actions).toEqual(['batches.cancel', 'batches.retry-failed']);

    const refused = await post(`${dashboard.url}/actions/batches`, { action: 'cancel', id: batchId });
    expect(refused.status).toBe(403);
  });
});
