import { afterEach, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { csrfOf, listen, post } from './http-harness.js';

// The dashboard enqueues through the client, so the rule of decision 21 holds there too: a job this
// process does not define is enqueued by name only with its queue, attempts and timeout stated.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start() {
  // No definitions: the jobs live in another process.
  const spool = new Spool({ storage: new MemoryStorage() });
  const server = await listen(createDashboard(spool));
  cleanups.push(async () => {
    await server.close();
    await spool.close();
  });
  return { spool, ...server };
}

describe('enqueue and clone from the dashboard, for a job defined in another process', () => {
  it('refuses a job without queue, attempts and timeout, naming them, and creates nothing', async () => {
    const { url, spool } = await start();
    const token = csrfOf(await (await fetch(`${url}/enqueue`)).text());
    const refused = await post(`${url}/actions/enqueue`, { name: 'pdf.render', args: '{"doc": 1}', _csrf: token });
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('ERR_CONFIG');
    expect(page).toMatch(/queue/);
    expect((await spool.stats()).states.enqueued).toBe(0);
  });

  it('enqueues it with the three stated, and a clone keeps its attempts and timeout', async () => {
    const { url, spool } = await start();
    const token = csrfOf(await (await fetch(`${url}/enqueue`)).text());
    const created = await post(`${url}/actions/enqueue`, { name: 'pdf.render', args: '{"doc": 1}', queue: 'pdf', attempts: '2', timeout: '5m', _csrf: token });
    expect(created.status).toBe(303);
    const id = new URL(created.headers.get('location')!, url).pathname.split('/').at(-1)!;
    expect(await spool.storage.jobGet({ id })).toMatchObject({ name: 'pdf.render', queue: 'pdf', maxAttempts: 2, timeoutMs: 300_000 });

    const form = await (await fetch(`${url}/enqueue?from=${id}`)).text();
    expect(form).toContain('name="attempts" inputmode="numeric" value="2"');
    expect(form).toContain('value="300000ms"');
    const clone = await post(`${url}/actions/enqueue`, { from: id, name: 'pdf.render', args: '{"doc": 2}', queue: 'pdf', attempts: '2', timeout: '300000ms', _csrf: csrfOf(form) });
    expect(clone.status).toBe(303);
    const cloneId = new URL(clone.headers.get('location')!, url).pathname.split('/').at(-1)!;
    expect(await spool.storage.jobGet({ id: cloneId })).toMatchObject({ args: { doc: 2 }, queue: 'pdf', maxAttempts: 2, timeoutMs: 300_000 });
  });

  it('takes "none" as no timeout and refuses attempts that are not a whole number', async () => {
    const { url, spool } = await start();
    const token = csrfOf(await (await fetch(`${url}/enqueue`)).text());
    const created = await post(`${url}/actions/enqueue`, { name: 'pdf.render', args: '{}', queue: 'pdf', attempts: '1', timeout: 'none', _csrf: token });
    const id = new URL(created.headers.get('location')!, url).pathname.split('/').at(-1)!;
    expect(await spool.storage.jobGet({ id })).toMatchObject({ maxAttempts: 1, timeoutMs: null });
    const refused = await post(`${url}/actions/enqueue`, { name: 'pdf.render', args: '{}', queue: 'pdf', attempts: 'two', timeout: 'none', _csrf: token });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Expected the attempts as a whole number');
  });
});
