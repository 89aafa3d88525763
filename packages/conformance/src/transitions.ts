import { describe, expect, it } from 'vitest';

import type { HistoryRecord, JobState } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { LEASE_MS, testError, useHarness } from './harness.js';
import { allTransitionEdges, historyViolations } from './transitions-check.js';

/** Tests that every history a storage writes follows TRANSITIONS, over a scenario that uses every transition. */
export function transitionsTests(target: ConformanceTarget): void {
  describe('transitions', () => {
    const h = useHarness(target);

    it('writes only transitions from TRANSITIONS, and can write each of them', async () => {
      const setState = async (id: string, expected: JobState[], state: 'enqueued' | 'deleted' | 'failed') => {
        const result = await h.storage.jobSetState({ id, expected, state, reason: 'scenario', ...(state === 'failed' ? { error: testError() } : {}) });
        expect(result.ok, `${id}: ${expected.join('|')} -> ${state}`).toBe(true);
      };
      const advance = () => h.clock.advance(1);

      // created -> enqueued | scheduled | awaiting; scheduled -> enqueued | deleted
      await h.createOne(h.scheduledJob(1, { queue: 'promoted' }));
      const cancelled = await h.createOne(h.scheduledJob(60_000));
      await setState(cancelled, ['scheduled'], 'deleted');
      advance();
      await h.storage.scheduledPromoteDue({ limit: 10 });

      // enqueued -> processing -> succeeded -> deleted -> enqueued -> deleted
      const succeeded = await h.running();
      expect(await h.succeed(succeeded)).toBe(true);
      await setState(succeeded.id, ['succeeded'], 'deleted');
      await setState(succeeded.id, ['deleted'], 'enqueued');
      await setState(succeeded.id, ['enqueued'], 'deleted');

      // processing -> failed -> enqueued; failed -> deleted; succeeded -> enqueued
      const failed = await h.running();
      expect(await h.fail(failed)).toBe(true);
      await setState(failed.id, ['failed'], 'enqueued');
      const failedAgain = await h.fetchOne();
      expect(await h.fail(failedAgain)).toBe(true);
      await setState(failed.id, ['failed'], 'deleted');
      const again = await h.running({ queue: 'again' });
      expect(await h.succeed(again)).toBe(true);
      await setState(again.id, ['succeeded'], 'enqueued');

      // processing -> scheduled | enqueued (server and rescue) | deleted | failed (operator)
      const retried = await h.running({ queue: 'retried' });
      expect(await h.complete(retried, { state: 'scheduled', runAt: new Date(h.now() + 1), error: testError(), reason: 'retry' })).toBe(true);
      const returned = await h.running({ queue: 'returned' });
      expect(await h.complete(returned, { state: 'enqueued', reason: 'shutdown', refundAttempt: true })).toBe(true);
      const rescued = await h.running({ queue: 'rescued' });
      const deletedWhileRunning = await h.running({ queue: 'deleted-while-running' });
      await setState(deletedWhileRunning.id, ['processing'], 'deleted');
      const failedByOperator = await h.running({ queue: 'failed-by-operator' });
      await setState(failedByOperator.id, ['processing'], 'failed');
      h.clock.advance(LEASE_MS);
      expect((await h.storage.leasesRescueExpired({ limit: 10, maxRescues: 3 })).requeued).toEqual([rescued.id]);

      // awaiting -> enqueued | deleted | failed (operator; a flow's dependency too); created -> deleted (continuation of a finished parent)
      const parent = await h.running({ queue: 'parent' });
      await h.createOne(h.continuation(parent.id, 'succeeded'));
      await setState(await h.createOne(h.continuation(parent.id, 'succeeded')), ['awaiting'], 'failed');
      await h.createOne(h.continuation(parent.id, 'failed'));
      expect(await h.succeed(parent)).toBe(true);
      await h.createOne(h.continuation(parent.id, 'failed'));

      const edges = await h.verify();
      const missing = allTransitionEdges().filter((edge) => !edges.has(edge));
      expect(missing, 'transitions the scenario should have used').toEqual([]);
    });

    it('has a checker that rejects histories outside TRANSITIONS', () => {
      const at = new Date(0);
      const record = (state: JobState, jobId = 'j'): HistoryRecord => ({ jobId, state, reason: 'x', data: null, at, serverId: null });
      expect(historyViolations({ id: 'j', state: 'succeeded' }, [record('enqueued'), record('processing'), record('succeeded')])).toEqual([]);
      expect(historyViolations({ id: 'j', state: 'processing' }, [record('processing')])).toHaveLength(1);
      expect(historyViolations({ id: 'j', state: 'succeeded' }, [record('enqueued'), record('succeeded')])).toHaveLength(1);
      expect(historyViolations({ id: 'j', state: 'failed' }, [record('enqueued')])).toHaveLength(1);
      expect(historyViolations({ id: 'j', state: 'enqueued' }, [record('enqueued', 'other')])).toHaveLength(1);
      expect(historyViolations({ id: 'j', state: 'enqueued' }, [])).toHaveLength(1);
      const later = { ...record('enqueued'), at: new Date(10) };
      expect(historyViolations({ id: 'j', state: 'deleted' }, [later, record('deleted')])).toHaveLength(1);
    });
  });
}
