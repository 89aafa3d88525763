import { afterEach, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { listen } from './http-harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('the limits on the queues page', () => {
  it("shows each scope's limits in force, the code's beside an operator's, who set them and how many run", async () => {
    const exportPdf = defineJob('documents.export', (_args: { customer: string }, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)), {
      limits: { concurrency: 2, key: (a: { customer: string }) => a.customer, perKey: { concurrency: 1 } },
    });
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [exportPdf] });
    const server = await spool.startServer({ concurrency: 4, pollInterval: '20ms', shutdownTimeout: '10ms' });
    await spool.enqueue(exportPdf, { customer: 'ann' });
    await spool.limits.set({ queue: 'mail' }, { rate: { limit: 50, per: '1s' } }, { setBy: '<b>eve</b>' });
    const dashboard = await listen(createDashboard(spool));
    cleanups.push(async () => {
      await dashboard.close();
      await server.stop();
      await spool.close();
    });
    for (let i = 0; i < 200 && (await spool.limits.get({ job: 'documents.export' }))?.running !== 1; i++) await new Promise((r) => setTimeout(r, 10));

    const page = await (await fetch(`${dashboard.url}/queues`)).text();
    expect(page).toContain('Limits');
    expect(page).toContain('at most 2 at once; per key: 1 at once');
    expect(page).toContain('at most 50 per 1s');
    expect(page).toContain('&lt;b&gt;eve&lt;/b&gt;');
    expect(page).toMatch(/data-scope="job:documents.export">1</);
    expect(page).toMatch(/data-waiting="job:documents.export">0</);
    expect(page).toMatch(/data-waiting="queue:mail">0</);

    const api = (await (await fetch(`${dashboard.url}/api/limits`)).json()) as { limits: Array<{ scope: object; source: string; running: number }> };
    expect(api.limits.map((l) => [l.scope, l.source, l.running])).toEqual([
      [{ job: 'documents.export' }, 'code', 1],
      [{ queue: 'mail' }, 'operator', 0],
    ]);
  });

  it("says on a waiting job's page which key's slot it waits for, read from storage", async () => {
    const exportPdf = defineJob('documents.export', (_args: { customer: string }, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)), {
      limits: { key: (a: { customer: string }) => a.customer, perKey: { concurrency: 1 } },
    });
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [exportPdf] });
    const server = await spool.startServer({ concurrency: 4, pollInterval: '20ms', shutdownTimeout: '10ms' });
    const first = await spool.enqueue(exportPdf, { customer: '42' });
    const second = await spool.enqueue(exportPdf, { customer: '42' });
    const dashboard = await listen(createDashboard(spool));
    cleanups.push(async () => {
      await dashboard.close();
      await server.stop();
      await spool.close();
    });
    for (let i = 0; i < 200 && (await spool.getJob(first))?.state !== 'processing'; i++) await new Promise((r) => setTimeout(r, 10));

    expect(await (await fetch(`${dashboard.url}/queues`)).text()).toMatch(/data-waiting="job:documents.export">1</);
    const waiting = await (await fetch(`${dashboard.url}/job/${second}`)).text();
    expect(waiting).toContain('data-wait-reason');
    expect(waiting).toContain('waiting for a slot of key 42 of job documents.export: 1 of 1 running');
    expect(await (await fetch(`${dashboard.url}/job/${first}`)).text()).not.toContain('data-wait-reason');
  });

  it("shows a bounded queue's bound beside its length, and the bound among its limits", async () => {
    const spool = new Spool({ storage: new MemoryStorage(), queues: { exports: { maxSize: 10 } } });
    await spool.enqueueMany('documents.export', [{}, {}, {}], { queue: 'exports', attempts: 1, timeout: null });
    await spool.enqueue('mail.send', {}, { queue: 'mail', attempts: 1, timeout: null });
    const dashboard = await listen(createDashboard(spool));
    cleanups.push(async () => {
      await dashboard.close();
      await spool.close();
    });
    const page = await (await fetch(`${dashboard.url}/queues`)).text();
    expect(page).toMatch(/>3 <span class="muted small" data-bound="exports">of 10<\/span>/);
    expect(page).not.toContain('data-bound="mail"');
    expect(page).toContain('at most 10 enqueued');
  });

  it('offers to set limits while none is set, and shows nothing of them when read-only', async () => {
    const spool = new Spool({ storage: new MemoryStorage() });
    const writable = await listen(createDashboard(spool));
    const readOnly = await listen(createDashboard(spool, { readOnly: true }));
    cleanups.push(async () => {
      await writable.close();
      await readOnly.close();
      await spool.close();
    });
    const page = await (await fetch(`${writable.url}/queues`)).text();
    expect(page).toContain('<h2>Limits</h2>');
    expect(page).toContain('No queue or job name has limits.');
    expect(page).toContain('data-add-limits');
    expect(await (await fetch(`${readOnly.url}/queues`)).text()).not.toContain('<h2>Limits</h2>');
  });
});
