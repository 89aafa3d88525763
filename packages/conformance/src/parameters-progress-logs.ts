import { describe, expect, it } from 'vitest';

import type { NewLogRecord } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

/** Tests of `jobParameterSet`, `jobProgressSet` and `jobLogsAppend`. */
export function parametersProgressLogsTests(target: ConformanceTarget): void {
  describe('job parameters', () => {
    const h = useHarness(target);

    it('sets, overwrites and adds parameters, keeping the others', async () => {
      const id = await h.createOne({ parameters: { tenant: 't1', keep: [1, { two: 2 }] } });
      expect(await h.storage.jobParameterSet({ id, key: 'tenant', value: 't2' })).toBe(true);
      expect(await h.storage.jobParameterSet({ id, key: 'extra', value: { nested: { ok: true }, n: 1.5 } })).toBe(true);
      expect(await h.storage.jobParameterSet({ id, key: 'nothing', value: null })).toBe(true);
      expect((await h.get(id)).parameters).toEqual({ tenant: 't2', keep: [1, { two: 2 }], extra: { nested: { ok: true }, n: 1.5 }, nothing: null });
    });

    it('sets parameters on jobs in any state without changing the state', async () => {
      const running = await h.running();
      expect(await h.storage.jobParameterSet({ id: running.id, key: 'k', value: 1 })).toBe(true);
      expect(await h.succeed(running)).toBe(true);
      expect(await h.storage.jobParameterSet({ id: running.id, key: 'k', value: 2 })).toBe(true);
      expect(await h.get(running.id)).toMatchObject({ state: 'succeeded', parameters: { k: 2 } });
      expect(await h.historyStates(running.id)).toEqual(['enqueued', 'processing', 'succeeded']);
    });

    it('returns false for an unknown job and creates nothing', async () => {
      const id = h.ids.next();
      expect(await h.storage.jobParameterSet({ id, key: 'k', value: 1 })).toBe(false);
      expect(await h.storage.jobGet({ id })).toBeNull();
      await h.expectCounts({});
    });
  });

  describe('jobProgressSet', () => {
    const h = useHarness(target);

    it('sets the progress of a running job under its lease', async () => {
      const job = await h.running();
      expect(await h.storage.jobProgressSet({ id: job.id, leaseToken: job.leaseToken, progress: 40 })).toBe(true);
      expect((await h.get(job.id)).progress).toBe(40);
      expect(await h.storage.jobProgressSet({ id: job.id, leaseToken: job.leaseToken, progress: 75.5 })).toBe(true);
      expect(await h.get(job.id)).toMatchObject({ progress: 75.5, state: 'processing' });
      expect(await h.historyStates(job.id)).toEqual(['enqueued', 'processing']);
    });

    it('refuses a stale token, a job not processing and an unknown job', async () => {
      const job = await h.running();
      const enqueued = await h.createOne({ queue: 'other' });
      expect(await h.storage.jobProgressSet({ id: job.id, leaseToken: 'stale', progress: 10 })).toBe(false);
      expect(await h.storage.jobProgressSet({ id: enqueued, leaseToken: job.leaseToken, progress: 10 })).toBe(false);
      expect(await h.storage.jobProgressSet({ id: h.ids.next(), leaseToken: job.leaseToken, progress: 10 })).toBe(false);
      expect((await h.get(job.id)).progress).toBeNull();
      expect((await h.get(enqueued)).progress).toBeNull();
      expect(await h.succeed(job)).toBe(true);
      expect(await h.storage.jobProgressSet({ id: job.id, leaseToken: job.leaseToken, progress: 10 })).toBe(false);
    });
  });

  describe('jobLogsAppend', () => {
    const h = useHarness(target);

    function entry(jobId: string, message: string, offsetMs = 0): NewLogRecord {
      return { jobId, attempt: 1, level: 'info', message, at: new Date(h.now() + offsetMs) };
    }

    it('appends log lines that job details return oldest first', async () => {
      const job = await h.running();
      await h.storage.jobLogsAppend({
        entries: [
          { jobId: job.id, attempt: 1, level: 'debug', message: 'one', at: new Date(h.now()) },
          { jobId: job.id, attempt: 1, level: 'warn', message: 'two ✓ "quoted"', at: new Date(h.now() + 1) },
        ],
      });
      await h.storage.jobLogsAppend({ entries: [{ jobId: job.id, attempt: 2, level: 'error', message: 'three', at: new Date(h.now() + 2) }] });
      const details = await h.storage.monitoring.jobDetails({ id: job.id });
      expect(details!.logs).toEqual([
        { jobId: job.id, attempt: 1, level: 'debug', message: 'one', at: new Date(h.now()) },
        { jobId: job.id, attempt: 1, level: 'warn', message: 'two ✓ "quoted"', at: new Date(h.now() + 1) },
        { jobId: job.id, attempt: 2, level: 'error', message: 'three', at: new Date(h.now() + 2) },
      ]);
    });

    it('returns the latest lines up to logLimit, oldest first', async () => {
      const id = await h.createOne();
      await h.storage.jobLogsAppend({ entries: Array.from({ length: 10 }, (_, i) => entry(id, `line ${i}`, i)) });
      const details = await h.storage.monitoring.jobDetails({ id, logLimit: 3 });
      expect(details!.logs.map((l) => l.message)).toEqual(['line 7', 'line 8', 'line 9']);
      expect((await h.storage.monitoring.jobDetails({ id }))!.logs).toHaveLength(10);
    });

    it('appends lines for several jobs in one call, each to its own job', async () => {
      const [a, b] = await h.create({}, {});
      await h.storage.jobLogsAppend({ entries: [entry(a!, 'a1'), entry(b!, 'b1'), entry(a!, 'a2', 1)] });
      expect((await h.storage.monitoring.jobDetails({ id: a! }))!.logs.map((l) => l.message)).toEqual(['a1', 'a2']);
      expect((await h.storage.monitoring.jobDetails({ id: b! }))!.logs.map((l) => l.message)).toEqual(['b1']);
    });

    it('accepts an empty list and lines of unknown jobs without creating anything', async () => {
      const id = await h.createOne();
      await h.storage.jobLogsAppend({ entries: [] });
      await h.storage.jobLogsAppend({ entries: [entry(h.ids.next(), 'orphan')] });
      expect((await h.storage.monitoring.jobDetails({ id }))!.logs).toEqual([]);
      await h.expectCounts({ enqueued: 1 });
    });
  });
}
