import { describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob } from '@spool/core';

import { browserAvailable, useBrowserDashboard } from './browser.js';

const available = browserAvailable();

const charge = defineJob('payments.charge', (args: { card: string }) => {
  if (args.card !== 'valid') throw new TypeError(`card ${args.card} expired`);
  return 'charged';
}, { attempts: 1, onExhausted: 'dead-letter' });
const ship = defineJob('orders.ship', () => {
  throw new RangeError('no such address');
}, { attempts: 1, onExhausted: 'dead-letter' });

describe.skipIf(!available)('the dead letters page, in a real browser', () => {
  let spool: Spool;
  const charges: string[] = [];
  const ships: string[] = [];

  const b = useBrowserDashboard(async () => {
    spool = new Spool({ storage: new MemoryStorage(), jobs: [charge, ship] });
    for (const card of ['a', 'b', 'c']) charges.push(await spool.enqueue(charge, { card }));
    for (const n of [1, 2]) ships.push(await spool.enqueue(ship, { n }));
    for (const id of [...charges, ...ships]) await spool.perform(id);
    return { spool };
  }, { width: 1366, height: 860 });

  const groups = () =>
    b.page.locator('[data-dead-letter-groups] tbody tr').evaluateAll((rows) => rows.map((row) => [row.getAttribute('data-group'), row.querySelector('[data-group-count]')?.textContent]));
  const lastAudit = async () => (await spool.storage.auditList({ limit: 1 }))[0];

  it('groups the dead letters by job name and error, and lists them', async () => {
    await b.page.goto(`${b.url}/`);
    await b.page.click('nav a:has-text("Dead letters")');
    expect(await groups()).toEqual([
      ['payments.charge|TypeError', '3'],
      ['orders.ship|RangeError', '2'],
    ]);
    expect(await b.page.locator('[data-dead-letters] tbody tr').count()).toBe(5);
    await b.page.click('[data-dead-letter-groups] a:has-text("RangeError")');
    expect(await b.page.locator('[data-dead-letters] tbody tr').count()).toBe(2);
  });

  it('redrives a selection, and the audit log says who did what', async () => {
    await b.page.goto(`${b.url}/dead-letters?name=payments.charge`);
    await b.page.check(`tr[data-job="${charges[0]}"] input[type="checkbox"]`);
    await Promise.all([b.page.waitForURL(/notice=/), b.page.click('button[value="redrive"]')]);
    expect(await b.page.textContent('[data-notice]')).toContain('1 job back in their queues');
    expect((await spool.getJob(charges[0]!))?.state).toBe('enqueued');
    expect(await lastAudit()).toMatchObject({ action: 'dead-letters.redrive', targets: [charges[0]], outcome: 'done' });
  });

  it('refuses arguments that are not JSON, then redrives with edited ones, the originals kept in the history', async () => {
    await b.page.goto(`${b.url}/dead-letters?name=payments.charge`);
    await b.page.click(`tr[data-job="${charges[1]}"] [data-edit-args]`);
    const area = b.page.locator('textarea[name="args"]');
    await area.fill('{"card": ');
    expect(await b.page.textContent('[data-args-check]')).toContain('Not valid JSON');
    // The browser holds back a form the script marked invalid: nothing is sent, nothing changes.
    await b.page.click('[data-redrive-form] button[type="submit"]');
    expect(b.page.url()).toContain('/dead-letters/edit');
    expect((await spool.getJob(charges[1]!))?.state).toBe('failed');
    await area.fill('{"card": "valid"}');
    expect(await b.page.textContent('[data-args-check]')).toBe('Valid JSON.');
    await Promise.all([b.page.waitForURL(/notice=/), b.page.click('[data-redrive-form] button[type="submit"]')]);
    expect(await b.page.textContent('[data-notice]')).toContain('with edited arguments');
    const job = (await spool.getJob(charges[1]!))!;
    expect(job).toMatchObject({ state: 'enqueued', args: { card: 'valid' } });
    expect(job.history.at(-1)!.data).toMatchObject({ redrive: true, originalArgs: { card: 'b' } });
    expect(await lastAudit()).toMatchObject({ action: 'dead-letters.redrive-edited', targets: [charges[1]], outcome: 'done' });
  });

  it('refuses an edit the server finds not to be JSON, showing why and changing nothing', async () => {
    // As a browser without the script would send it.
    await b.page.goto(`${b.url}/dead-letters/edit?id=${charges[2]}`);
    await b.page.locator('textarea[name="args"]').evaluate((el) => {
      (el as HTMLTextAreaElement).value = '{nope';
      (el as HTMLTextAreaElement).setCustomValidity('');
      (el.closest('form') as HTMLFormElement).submit();
    });
    await b.page.waitForSelector('[data-redrive-error]');
    expect(await b.page.textContent('[data-redrive-error]')).toContain('not valid JSON');
    expect((await spool.getJob(charges[2]!))?.args).toEqual({ card: 'c' });
    expect(await lastAudit()).toMatchObject({ action: 'dead-letters.redrive-edited', outcome: 'refused' });
  });

  it('redrives a whole group after asking, leaving the other groups', async () => {
    await b.page.goto(`${b.url}/dead-letters`);
    await Promise.all([b.page.waitForURL(/notice=/), b.page.click('tr[data-group="orders.ship|RangeError"] [data-redrive-matching]')]);
    expect(await b.page.textContent('[data-notice]')).toContain('2 jobs back in their queues');
    for (const id of ships) expect((await spool.getJob(id))?.state).toBe('enqueued');
    expect((await spool.getJob(charges[2]!))?.state).toBe('failed');
    expect(await groups()).toEqual([['payments.charge|TypeError', '1']]);
    expect(await lastAudit()).toMatchObject({ action: 'dead-letters.redrive-matching', targets: ['name=orders.ship', 'errorName=RangeError'], count: 2 });
  });

  it("marks a dead letter on its job page and redrives it from there", async () => {
    await b.page.goto(`${b.url}/job/${charges[2]}`);
    expect(await b.page.textContent('[data-dead-letter]')).toBe('dead letter');
    await Promise.all([b.page.waitForURL(/notice=/), b.page.click('form[action$="/actions/dead-letters"] button:has-text("Redrive")')]);
    expect((await spool.getJob(charges[2]!))?.state).toBe('enqueued');
    expect(await b.page.locator('[data-dead-letter]').count()).toBe(0);
    expect(await lastAudit()).toMatchObject({ action: 'dead-letters.redrive', targets: [charges[2]], outcome: 'done' });
  });
});
