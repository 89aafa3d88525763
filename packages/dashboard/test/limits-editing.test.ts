import { afterEach, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { csrfOf, listen, post } from './http-harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const exportPdf = defineJob('documents.export', () => undefined, {
  queue: 'exports',
  limits: { concurrency: 2, key: (a: { customer: string }) => a.customer, perKey: { concurrency: 1 } },
});

/** A dashboard over a memory storage whose code sets limits of documents.export; the operator is `ops`. */
async function dashboard(options: Parameters<typeof createDashboard>[1] = {}) {
  const spool = new Spool({ storage: new MemoryStorage(), jobs: [exportPdf] });
  // A server stores the code's layer of the definitions' limits when it starts.
  const server = await spool.startServer({ concurrency: 1, pollInterval: '50ms', shutdownTimeout: '10ms' });
  const served = await listen(createDashboard(spool, { authorize: () => ({ operator: 'ops' }), ...options }));
  cleanups.push(async () => {
    await served.close();
    await server.stop();
    await spool.close();
  });
  const csrf = csrfOf(await (await fetch(`${served.url}/queues`)).text());
  const act = (fields: Record<string, string>) => post(`${served.url}/actions/limits`, { _csrf: csrf, ...fields });
  return { spool, url: served.url, act };
}

describe("an operator's limits from the dashboard", () => {
  it("fills the form in with what is in force and stores the operator's layer over the code's, audited with who set it", async () => {
    const { spool, url, act } = await dashboard();
    const form = await (await fetch(`${url}/limits/edit?scope=${encodeURIComponent('job:documents.export')}`)).text();
    expect(form).toContain('data-limits-form');
    expect(form).toMatch(/name="concurrency" inputmode="numeric" value="2"/);
    expect(form).toMatch(/name="perKeyConcurrency" inputmode="numeric" value="1"/);
    // A job name has no bound: the field is not offered.
    expect(form).not.toContain('name="maxSize"');

    const saved = await act({ action: 'set', scope: 'job:documents.export', concurrency: '4', rate: '100/1m', perKeyConcurrency: '1', perKeyRate: '', onLocked: 'skip' });
    expect(saved.status).toBe(303);
    expect(decodeURIComponent(saved.headers.get('location')!)).toContain("Limits of job:documents.export set: at most 4 at once, 100 per 1m; per key: 1 at once (skip when held)");
    const view = await spool.limits.get({ job: 'documents.export' });
    expect(view).toMatchObject({ source: 'operator', operator: { setBy: 'ops' }, inForce: { concurrency: 4, rate: { limit: 100, perMs: 60_000 }, perKey: { concurrency: 1, onLocked: 'skip' } } });
    expect(view!.code).toMatchObject({ concurrency: 2 });

    const queues = await (await fetch(`${url}/queues`)).text();
    expect(queues).toContain('operator <strong>ops</strong>');
    expect(queues).toContain('code: at most 2 at once; per key: 1 at once');
    const audit = await spool.storage.auditList({ limit: 10 });
    expect(audit[0]).toMatchObject({ actor: 'ops', action: 'limits.set', subject: 'limits', targets: ['job:documents.export'], outcome: 'done' });
  });

  it("clears the operator's layer back to the code's", async () => {
    const { spool, url, act } = await dashboard();
    await spool.limits.set({ job: 'documents.export' }, { concurrency: 9 }, { setBy: 'someone' });
    expect(await (await fetch(`${url}/queues`)).text()).toMatch(/data-limits-link="job:documents.export"/);
    const cleared = await act({ action: 'clear', scope: 'job:documents.export' });
    expect(cleared.status).toBe(303);
    expect(decodeURIComponent(cleared.headers.get('location')!)).toContain('in force now, from the code: at most 2 at once; per key: 1 at once');
    expect(await spool.limits.get({ job: 'documents.export' })).toMatchObject({ source: 'code', operator: null, inForce: { concurrency: 2 } });
    expect((await spool.storage.auditList({ limit: 10 }))[0]).toMatchObject({ action: 'limits.clear', outcome: 'done' });
  });

  it('sets limits of a scope that had none, such as a queue bound', async () => {
    const { spool, url, act } = await dashboard();
    const fresh = await (await fetch(`${url}/limits/edit?scope=queue:mail`)).text();
    expect(fresh).toMatch(/name="scope" required value="queue:mail"/);
    const saved = await act({ action: 'set', scope: 'queue:mail', concurrency: '', rate: '50/1s', maxSize: '1000' });
    expect(saved.status).toBe(303);
    expect(await spool.limits.get({ queue: 'mail' })).toMatchObject({ source: 'operator', inForce: { concurrency: null, rate: { limit: 50, perMs: 1000 }, maxSize: 1000 } });
  });

  it('refuses what it cannot read or what means nothing, says why beside the values as typed, and stores nothing', async () => {
    const { spool, act } = await dashboard();
    const refused = await act({ action: 'set', scope: 'queue:mail', concurrency: 'two', rate: 'fast', maxSize: '5' });
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('data-limits-error');
    expect(page).toContain('Concurrency: expected a whole number, got &quot;two&quot;');
    expect(page).toContain('Rate: expected &lt;count&gt;/&lt;window&gt;');
    expect(page).toMatch(/name="concurrency" inputmode="numeric" value="two"/);
    expect(await spool.limits.get({ queue: 'mail' })).toBeNull();

    const meaningless = await (await act({ action: 'set', scope: 'job:documents.export', concurrency: '0', maxSize: '3' })).text();
    expect(meaningless).toContain('concurrency: expected a whole number from 1 to');
    expect(meaningless).toContain('maxSize: bounds a queue, not a job name');
    expect(await (await act({ action: 'set', scope: 'queue:mail' })).text()).toContain('sets no limit');
    expect(await (await act({ action: 'set', scope: 'mail', concurrency: '1' })).text()).toContain('Scope: expected a scope: queue:&lt;name&gt; or job:&lt;name&gt;');
    expect(await spool.limits.get({ job: 'documents.export' })).toMatchObject({ source: 'code' });
    const audit = await spool.storage.auditList({ limit: 10 });
    expect(audit.map((e) => e.outcome)).toEqual(['refused', 'refused', 'refused', 'refused']);
    expect((await act({ action: 'rename', scope: 'queue:mail' })).status).toBe(400);
  });

  it('offers no form and refuses every change when read-only', async () => {
    const { spool, url } = await dashboard({ readOnly: true });
    expect((await fetch(`${url}/limits/edit?scope=queue:mail`)).status).toBe(404);
    const queues = await (await fetch(`${url}/queues`)).text();
    expect(queues).not.toContain('data-limits-link');
    expect((await post(`${url}/actions/limits`, { action: 'set', scope: 'queue:mail', concurrency: '1' })).status).toBe(403);
    expect(await spool.limits.get({ queue: 'mail' })).toBeNull();
  });
});
