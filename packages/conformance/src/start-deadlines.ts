import { describe, expect, it } from 'vitest';

import type { FetchedJob, OnExpire } from '@spool/core';
import { START_DEADLINE_PARAMETER, decideLateStart, lateStartDeletion, lateStartFailure, startDeadlineParameter } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { testError, useHarness } from './harness.js';

const TTL_MS = 60_000;

/**
 * Tests of start deadlines (a time-to-live for jobs that never start): the deadline travels with the
 * job as a parameter, the claim's time is the storage's (its injected clock), and what core decides
 * for a late job is recorded in place of running it.
 */
export function startDeadlinesTests(target: ConformanceTarget): void {
  describe('start deadlines', () => {
    const h = useHarness(target);

    const deadline = (dueAt: number, onExpire: OnExpire = 'delete') => ({ [START_DEADLINE_PARAMETER]: startDeadlineParameter({ dueAt, ttlMs: TTL_MS, onExpire }) });

    /** Records what core decides for a claimed job that is too late; false when it may run. */
    async function expireIfLate(job: FetchedJob): Promise<boolean> {
      const late = decideLateStart(job);
      if (late === null) return false;
      if (late.onExpire === 'fail') expect(await h.complete(job, lateStartFailure(late))).toBe(true);
      else expect(await h.storage.jobSetState(lateStartDeletion(job.id, late))).toEqual({ ok: true, previous: 'processing' });
      return true;
    }

    it('runs a job claimed within its time-to-live after it became due', async () => {
      const id = await h.createOne({ parameters: deadline(h.now()) });
      h.clock.advance(TTL_MS);
      const job = await h.fetchOne();
      expect(job.id).toBe(id);
      expect(job.startedAt).toEqual(new Date(h.now()));
      expect(await expireIfLate(job)).toBe(false);
      await h.succeed(job);
      expect(await h.stateOf(id)).toBe('succeeded');
      await h.verify();
    });

    it('deletes a job claimed past its time-to-live without running it, saying why in its history', async () => {
      const id = await h.createOne({ parameters: deadline(h.now()) });
      h.clock.advance(TTL_MS + 1);
      expect(await expireIfLate(await h.fetchOne())).toBe(true);
      const job = await h.get(id);
      expect(job.state).toBe('deleted');
      const last = (await h.history(id)).at(-1)!;
      expect(last.reason).toContain('Not started within its time-to-live');
      expect(last.data).toMatchObject({ expired: { code: 'ERR_JOB_EXPIRED', ttlMs: TTL_MS } });
      await h.expectCounts({ deleted: 1, processing: 0, enqueued: 0 });
      await h.verify();
    });

    it('fails a late job with ERR_JOB_EXPIRED when it says so, without a retry', async () => {
      const id = await h.createOne({ parameters: deadline(h.now(), 'fail'), maxAttempts: 5 });
      h.clock.advance(TTL_MS + 1_000);
      expect(await expireIfLate(await h.fetchOne())).toBe(true);
      const job = await h.get(id);
      expect(job.state).toBe('failed');
      expect(job.error).toMatchObject({ name: 'JobExpiredError', code: 'ERR_JOB_EXPIRED' });
      expect(job.error!.message).toContain('(1000 ms late)');
      await h.verify();
    });

    it('measures a scheduled job from its run time, through its promotion', async () => {
      const inTime = await h.createOne(h.scheduledJob(600_000, { parameters: deadline(h.now() + 600_000) }));
      const late = await h.createOne(h.scheduledJob(500_000, { parameters: deadline(h.now() + 500_000) }));
      h.clock.advance(600_000 + TTL_MS / 2);
      expect((await h.storage.scheduledPromoteDue({ limit: 10 })).promoted).toBe(2);
      const claimed = await h.fetch();
      expect(claimed.map((j) => j.id).sort()).toEqual([inTime, late].sort());
      const expired = [];
      for (const job of claimed) if (await expireIfLate(job)) expired.push(job.id);
      expect(expired).toEqual([late]);
      expect(await h.stateOf(inTime)).toBe('processing');
      await h.verify();
    });

    it('holds a job to its deadline only until its first start: a retry runs whenever it is claimed', async () => {
      const id = await h.createOne({ parameters: deadline(h.now(), 'fail') });
      const first = await h.fetchOne();
      expect(await expireIfLate(first)).toBe(false);
      await h.complete(first, { state: 'scheduled', runAt: new Date(h.now() + TTL_MS * 2), error: testError('try again'), reason: 'Retry' });
      h.clock.advance(TTL_MS * 2);
      await h.storage.scheduledPromoteDue({ limit: 10 });
      const second = await h.fetchOne();
      expect(second).toMatchObject({ id, attempt: 2 });
      expect(await expireIfLate(second)).toBe(false);
      await h.verify();
    });
  });
}
