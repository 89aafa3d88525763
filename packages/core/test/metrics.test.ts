import { defineJob, ManualClock, MemoryStorage, Spool, SpoolMetrics } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';

import { fastServer, waitFor, waitForState } from './helpers.js';
import type { Family } from './prometheus-text.js';
import { find, readExposition } from './prometheus-text.js';

/** The families of a scrape, by name, read (and validated) by a strict reader of the text format. */
async function scrape(metrics: SpoolMetrics): Promise<Map<string, Family>> {
  return readExposition(await metrics.render());
}

const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) => find(families, name, labels)?.value;

describe('Prometheus metrics', () => {
  const open: Spool[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('counts enqueued, succeeded, retried and failed jobs per job name, and times their wait and run', async () => {
    const ok = defineJob('reports.build', () => 'done', { queue: 'reports' });
    const broken = defineJob('mail.send', () => {
      throw new Error('SMTP refused');
    }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [ok, broken] });
    open.push(spool);
    const metrics = new SpoolMetrics(spool);
    await spool.startServer({ ...fastServer, queues: ['reports', 'default'] });
    const ids = await spool.enqueueMany(ok, [null, null, null]);
    const brokenId = await spool.enqueue(broken, null);
    for (const id of ids) await waitForState(spool, id, 'succeeded');
    await waitForState(spool, brokenId, 'failed');
    // The success is recorded before the server's event: wait for the counter, not a fixed time.
    let families = await scrape(metrics);
    await waitFor(async () => {
      families = await scrape(metrics);
      return value(families, 'spool_jobs_succeeded_total', { name: 'reports.build' }) === 3 && value(families, 'spool_jobs_failed_total', { name: 'mail.send' }) === 1;
    }, 'the outcome counters');

    expect(families.get('spool_jobs_enqueued_total')?.type).toBe('counter');
    expect(value(families, 'spool_jobs_enqueued_total', { name: 'reports.build', queue: 'reports' })).toBe(3);
    expect(value(families, 'spool_jobs_enqueued_total', { name: 'mail.send', queue: 'default' })).toBe(1);
    expect(value(families, 'spool_jobs_retried_total', { name: 'mail.send' })).toBe(1);
    expect(find(families, 'spool_jobs_failed_total', { name: 'reports.build' })).toBeUndefined();

    // readExposition has checked that every histogram's buckets are cumulative and end at _count.
    expect(families.get('spool_job_run_seconds')?.type).toBe('histogram');
    expect(find(families, 'spool_job_run_seconds', { name: 'reports.build' }, 'spool_job_run_seconds_count')?.value).toBe(3);
    expect(find(families, 'spool_job_run_seconds', { name: 'reports.build', le: '+Inf' }, 'spool_job_run_seconds_bucket')?.value).toBe(3);
    expect(find(families, 'spool_job_run_seconds', { name: 'mail.send' }, 'spool_job_run_seconds_count')?.value).toBe(2);
    expect(find(families, 'spool_job_wait_seconds', { name: 'mail.send' }, 'spool_job_wait_seconds_count')?.value).toBe(2);
    expect(find(families, 'spool_job_wait_seconds', { name: 'reports.build' }, 'spool_job_wait_seconds_sum')?.value).toBeGreaterThanOrEqual(0);
  });

  it('reads jobs by state, queues, servers and recurring lag from storage', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12, 0, 30));
    const report = defineJob('reports.daily', () => 1, { queue: 'reports' });
    const spool = new Spool({ storage: new MemoryStorage({ clock }), jobs: [report] }, { clock });
    open.push(spool);
    const metrics = new SpoolMetrics(spool);
    await spool.enqueueMany(report, [null, null]);
    await spool.schedule(report, null, { delay: '1h' });
    await spool.pauseQueue('reports');
    const recurring = await spool.recurring.addOrUpdate('minutely', report, null, { cron: '* * * * *' });
    await spool.recurring.addOrUpdate('paused', report, null, { cron: '* * * * *' });
    await spool.recurring.pause('paused');
    clock.advance(5 * 60_000);

    const families = await scrape(metrics);
    expect(families.get('spool_jobs')?.type).toBe('gauge');
    expect(value(families, 'spool_jobs', { state: 'enqueued' })).toBe(2);
    expect(value(families, 'spool_jobs', { state: 'scheduled' })).toBe(1);
    expect(value(families, 'spool_jobs', { state: 'failed' })).toBe(0);
    expect(value(families, 'spool_queue_enqueued_jobs', { queue: 'reports' })).toBe(2);
    expect(value(families, 'spool_queue_paused', { queue: 'reports' })).toBe(1);
    expect(value(families, 'spool_queue_oldest_enqueued_age_seconds', { queue: 'reports' })).toBe(300);
    expect(value(families, 'spool_servers_alive')).toBe(0);
    expect(value(families, 'spool_recurring_jobs')).toBe(2);
    expect(value(families, 'spool_recurring_lag_seconds', { id: 'minutely' })).toBe((clock.now() - recurring.nextRunAt!.getTime()) / 1000);
    expect(find(families, 'spool_recurring_lag_seconds', { id: 'paused' })).toBeUndefined();
  });

  it('counts servers alive and the errors of their processes', async () => {
    const storage = new MemoryStorage();
    const fetch = storage.jobsFetch.bind(storage);
    let failures = 1;
    storage.jobsFetch = async (params) => {
      if (failures-- > 0) throw new Error('storage unavailable');
      return fetch(params);
    };
    const spool = new Spool({ storage, jobs: [defineJob('ok', () => 1)] });
    open.push(spool);
    const metrics = new SpoolMetrics(spool);
    await spool.startServer(fastServer);
    await waitFor(async () => value(await scrape(metrics), 'spool_server_errors_total', { process: 'fetch' }) === 1, 'the error counter');
    expect(value(await scrape(metrics), 'spool_servers_alive')).toBe(1);
  });

  it('escapes label values so that any queue name stays one sample', async () => {
    const spool = new Spool({ storage: new MemoryStorage() });
    open.push(spool);
    const odd = 'odd "queue"\\ with\nnewline';
    await spool.pauseQueue(odd);
    expect(value(await scrape(new SpoolMetrics(spool)), 'spool_queue_paused', { queue: odd })).toBe(1);
  });
});
