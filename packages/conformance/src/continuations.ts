import { describe, expect, it } from 'vitest';

import { continuationOutcome } from '@spool/core';
import type { ContinuationOn, JobState } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import type { Harness } from './harness.js';
import { useHarness } from './harness.js';

type ParentOutcome = 'succeeded' | 'failed' | 'deleted';

/** What a continuation waiting with `on` becomes when its parent reaches each outcome. */
const EXPECTED: Record<ParentOutcome, Record<ContinuationOn, JobState>> = {
  succeeded: { succeeded: 'enqueued', failed: 'deleted', finished: 'enqueued' },
  // A failed parent may still be retried and succeed: 'succeeded' children keep waiting.
  failed: { succeeded: 'awaiting', failed: 'enqueued', finished: 'enqueued' },
  deleted: { succeeded: 'deleted', failed: 'deleted', finished: 'enqueued' },
};

const OUTCOMES: ParentOutcome[] = ['succeeded', 'failed', 'deleted'];
const ONS: ContinuationOn[] = ['succeeded', 'failed', 'finished'];

/** Brings a fetched parent (or an enqueued one, for `deleted`) to an outcome in one storage call. */
async function finishParent(h: Harness, parentId: string, outcome: ParentOutcome): Promise<void> {
  if (outcome === 'deleted') {
    const result = await h.storage.jobSetState({ id: parentId, expected: ['enqueued', 'processing'], state: 'deleted', reason: 'Deleted' });
    expect(result.ok).toBe(true);
    return;
  }
  const [parent] = await h.fetch({ queues: ['parents'], limit: 1 });
  expect(parent?.id).toBe(parentId);
  expect(outcome === 'succeeded' ? await h.succeed(parent!, { answer: 42 }) : await h.fail(parent!)).toBe(true);
}

/** Tests of continuations: release and cancel with the parent's transition, and at creation. */
export function continuationsTests(target: ConformanceTarget): void {
  describe('continuations', () => {
    const h = useHarness(target);

    it('uses the same table as continuationOutcome', () => {
      for (const outcome of OUTCOMES) {
        for (const on of ONS) {
          const decision = continuationOutcome(outcome, on);
          expect(EXPECTED[outcome][on]).toBe(decision === 'release' ? 'enqueued' : decision === 'cancel' ? 'deleted' : 'awaiting');
        }
      }
    });

    it('keeps a continuation awaiting while its parent is not finished', async () => {
      const parent = await h.createOne({ queue: 'parents' });
      const child = await h.createOne(h.continuation(parent, 'finished'));
      const [running] = await h.fetch({ queues: ['parents'] });
      expect(await h.stateOf(child)).toBe('awaiting');
      expect(await h.complete(running!, { state: 'scheduled', runAt: new Date(h.now() + 1_000), error: { name: 'Error', message: 'retry' }, reason: 'Retry' })).toBe(true);
      expect(await h.stateOf(child)).toBe('awaiting');
      h.clock.advance(1_000);
      await h.storage.scheduledPromoteDue({ limit: 10 });
      const again = await h.fetch({ queues: ['parents'] });
      expect(await h.complete(again[0]!, { state: 'enqueued', reason: 'Shutdown', refundAttempt: true })).toBe(true);
      expect(await h.stateOf(child)).toBe('awaiting');
      expect(await h.fetch()).toEqual([]);
      await h.expectCounts({ enqueued: 1, awaiting: 1 });
      await h.verify();
    });

    for (const outcome of OUTCOMES) {
      for (const on of ONS) {
        const expected = EXPECTED[outcome][on];
        const verb = expected === 'enqueued' ? 'releases' : expected === 'deleted' ? 'cancels' : 'keeps waiting';
        it(`${verb} a continuation on ${on} when its parent is ${outcome}, in the same call`, async () => {
          const parent = await h.createOne({ queue: 'parents' });
          const child = await h.createOne(h.continuation(parent, on));
          await finishParent(h, parent, outcome);
          expect(await h.stateOf(child)).toBe(expected);
          expect(await h.historyStates(child)).toEqual(expected === 'awaiting' ? ['awaiting'] : ['awaiting', expected]);
          await h.verify();
        });

        it(`creates a continuation on ${on} as ${expected} when its parent is already ${outcome}`, async () => {
          const parent = await h.createOne({ queue: 'parents' });
          await finishParent(h, parent, outcome);
          const child = h.continuation(parent, on);
          const result = await h.storage.jobsCreate({ jobs: [child] });
          expect(result.jobs).toEqual([{ id: child.id, created: true, state: expected }]);
          expect(await h.historyStates(child.id)).toEqual([expected]);
          expect(await h.get(child.id)).toMatchObject({ parentId: parent, continueOn: on });
          await h.verify();
        });
      }
    }

    it('releases a continuation on succeeded once a failed parent is retried and succeeds', async () => {
      const parent = await h.createOne({ queue: 'parents' });
      const child = await h.createOne(h.continuation(parent, 'succeeded'));
      await finishParent(h, parent, 'failed');
      expect(await h.stateOf(child)).toBe('awaiting');
      expect((await h.storage.jobSetState({ id: parent, expected: ['failed'], state: 'enqueued', reason: 'Retry', resetAttempts: true })).ok).toBe(true);
      expect(await h.stateOf(child)).toBe('awaiting');
      await finishParent(h, parent, 'succeeded');
      expect(await h.stateOf(child)).toBe('enqueued');
      await h.verify();
    });

    it('settles every continuation of a parent in the same call', async () => {
      const parent = await h.createOne({ queue: 'parents' });
      const onSucceeded = await h.createOne(h.continuation(parent, 'succeeded'));
      const onFailed = await h.createOne(h.continuation(parent, 'failed'));
      const onFinished = await h.createOne(h.continuation(parent, 'finished'));
      await h.expectCounts({ enqueued: 1, awaiting: 3 });
      await finishParent(h, parent, 'succeeded');
      expect([await h.stateOf(onSucceeded), await h.stateOf(onFailed), await h.stateOf(onFinished)]).toEqual(['enqueued', 'deleted', 'enqueued']);
      await h.expectCounts({ succeeded: 1, enqueued: 2, deleted: 1 });
      expect((await h.fetch()).map((j) => j.id).sort()).toEqual([onSucceeded, onFinished].sort());
      await h.verify();
    });

    it('settles a chain of continuations in the same call', async () => {
      const root = await h.createOne({ queue: 'parents' });
      const middle = await h.createOne(h.continuation(root, 'succeeded'));
      const cancelledToo = await h.createOne(h.continuation(middle, 'succeeded'));
      const releasedByCancel = await h.createOne(h.continuation(middle, 'finished'));
      await finishParent(h, root, 'deleted');
      expect(await h.stateOf(middle)).toBe('deleted');
      expect(await h.stateOf(cancelledToo)).toBe('deleted');
      expect(await h.stateOf(releasedByCancel)).toBe('enqueued');
      await h.verify();
    });

    it('leaves a continuation that an operator deleted alone when its parent finishes', async () => {
      const parent = await h.createOne({ queue: 'parents' });
      const child = await h.createOne(h.continuation(parent, 'finished'));
      expect((await h.storage.jobSetState({ id: child, expected: ['awaiting'], state: 'deleted', reason: 'Not needed' })).ok).toBe(true);
      await finishParent(h, parent, 'succeeded');
      expect(await h.historyStates(child)).toEqual(['awaiting', 'deleted']);
      await h.verify();
    });
  });
}
