import { describe, expect, it } from 'vitest';

import { Spool } from '@spool/core';
import type { Dependency, DependencyPolicy, FlowStorage, FlowsCreateParams, NewFlowJob, NewJob, Storage } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

const FAN_IN_CHILDREN = 40;
const FAN_IN_PARENTS = 6;
const COMPLETERS = 6;

/** Tests of batches and flows: atomic creation, batch counters and continuations, dependencies, fan-in races, cancellation. */
export function batchesAndFlowsTests(target: ConformanceTarget): void {
  describe('batches and flows', () => {
    const h = useHarness(target);

    /** The storage's flows, or null (the test then returns: the storage declares `batches: false`). */
    function flowsOf(storage: Storage = h.storage): FlowStorage | null {
      if (!storage.capabilities.batches) {
        expect(storage.flows).toBeUndefined();
        return null;
      }
      expect(storage.flows).toBeDefined();
      return storage.flows!;
    }

    function member(job: NewJob, batchId: string | null, hasDependents = false): NewFlowJob {
      return { job, batchId, hasDependents };
    }

    function waiting(overrides: Partial<NewJob> = {}): NewJob {
      return h.job({ state: 'awaiting', reason: 'Awaiting its parents', ...overrides });
    }

    function edge(childId: string, parentId: string, policy: DependencyPolicy = 'fail', parentKind: Dependency['parentKind'] = 'job'): Dependency {
      return { childId, parentId, parentKind, policy };
    }

    async function create(flows: FlowStorage, params: Partial<FlowsCreateParams>): Promise<void> {
      const result = await flows.flowsCreate({ batches: [], jobs: [], dependencies: [], ...params });
      expect(result.jobs.every((j) => j.created)).toBe(true);
    }

    /** Fetches the job `id` (alone in its queue) and records its outcome. */
    async function finish(id: string, outcome: 'succeeded' | 'failed', storage: Storage = h.storage): Promise<void> {
      const { queue } = await h.get(id);
      const [job] = await h.fetch({ queues: [queue], limit: 1 }, storage);
      expect(job?.id).toBe(id);
      expect(outcome === 'succeeded' ? await h.succeed(job!, { from: id }) : await h.fail(job!)).toBe(true);
    }

    it('declares storage.flows exactly with the batches capability', () => {
      expect(h.storage.flows !== undefined).toBe(h.storage.capabilities.batches);
    });

    it('creates a batch with its jobs in one call and counts them without reading the jobs', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const jobs = [h.job(), h.job(), h.scheduledJob(60_000)];
      await create(flows, { batches: [{ id: batchId, description: 'three', parentBatchId: null }], jobs: jobs.map((j) => member(j, batchId)) });
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ id: batchId, description: 'three', total: 3, finished: 0, succeeded: 0, failed: 0, finishedAt: null, cancelledAt: null });
      await h.expectCounts({ enqueued: 2, scheduled: 1 });
      const listed = await flows.batchJobs({ batchId, limit: 10 });
      expect(listed.jobs.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
      expect((await flows.batchJobs({ batchId, state: 'scheduled', limit: 10 })).jobs.map((j) => j.id)).toEqual([jobs[2]!.id]);
      expect((await flows.batchList({ limit: 10 })).batches.map((b) => b.id)).toEqual([batchId]);
      expect(await flows.batchGet({ id: h.ids.next() })).toBeNull();
      await h.verify();
    });

    it('pages a batch\'s jobs newest first', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const jobs = Array.from({ length: 5 }, () => h.job());
      await create(flows, { batches: [{ id: batchId, description: null, parentBatchId: null }], jobs: jobs.map((j) => member(j, batchId)) });
      const first = await flows.batchJobs({ batchId, limit: 3 });
      const second = await flows.batchJobs({ batchId, limit: 3, cursor: first.nextCursor });
      expect([...first.jobs, ...second.jobs].map((j) => j.id)).toEqual(jobs.map((j) => j.id).reverse());
      expect(second.nextCursor).toBeNull();
    });

    it('writes nothing when a creation names an unknown batch or a parent outside it', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const unknown = h.ids.next();
      await expect(
        flows.flowsCreate({ batches: [{ id: batchId, description: null, parentBatchId: null }], jobs: [member(h.job(), batchId), member(h.job(), unknown)], dependencies: [] }),
      ).rejects.toMatchObject({ code: 'ERR_BATCH_NOT_FOUND' });
      const child = waiting();
      await expect(
        flows.flowsCreate({ batches: [{ id: batchId, description: null, parentBatchId: null }], jobs: [member(h.job(), batchId), member(child, batchId)], dependencies: [edge(child.id, h.ids.next())] }),
      ).rejects.toMatchObject({ code: 'ERR_FLOW_INVALID' });
      expect(await flows.batchGet({ id: batchId })).toBeNull();
      await h.expectCounts({});
      await h.verify();
    });

    it('finishes a batch when its last member finishes and releases its continuation once', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const [a, b] = [h.job({ queue: 'a' }), h.job({ queue: 'b' })];
      const then = waiting({ queue: 'then' });
      await create(flows, {
        batches: [{ id: batchId, description: null, parentBatchId: null }],
        jobs: [member(a!, batchId), member(b!, batchId), member(then, null)],
        dependencies: [edge(then.id, batchId, 'skip', 'batch')],
      });
      await finish(a!.id, 'succeeded');
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: 2, finished: 1, succeeded: 1, failed: 0, finishedAt: null });
      expect(await h.stateOf(then.id)).toBe('awaiting');
      h.clock.advance(1_000);
      await finish(b!.id, 'succeeded');
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: 2, finished: 2, succeeded: 2, failed: 0, finishedAt: new Date(h.now()) });
      expect(await h.historyStates(then.id)).toEqual(['awaiting', 'enqueued']);
      // A member run again after the batch finished moves the counters, and settles nothing twice.
      expect((await h.storage.jobSetState({ id: a!.id, expected: ['succeeded'], state: 'enqueued', reason: 'Again', resetAttempts: true })).ok).toBe(true);
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ finished: 1, succeeded: 1 });
      await finish(a!.id, 'succeeded');
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ finished: 2, succeeded: 2, finishedAt: new Date(h.now()) });
      expect(await h.historyStates(then.id)).toEqual(['awaiting', 'enqueued']);
      await h.verify();
    });

    it('skips a succeeded-only continuation and runs a finished one when a member failed', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const [ok, bad] = [h.job({ queue: 'a' }), h.job({ queue: 'b' })];
      const onSuccess = waiting({ queue: 'then' });
      const onFinish = waiting({ queue: 'then' });
      await create(flows, {
        batches: [{ id: batchId, description: null, parentBatchId: null }],
        jobs: [member(ok!, batchId), member(bad!, batchId), member(onSuccess, null), member(onFinish, null)],
        dependencies: [edge(onSuccess.id, batchId, 'skip', 'batch'), edge(onFinish.id, batchId, 'run', 'batch')],
      });
      await finish(bad!.id, 'failed');
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ finished: 1, failed: 1 });
      await finish(ok!.id, 'succeeded');
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: 2, finished: 2, succeeded: 1, failed: 1 });
      expect(await h.historyStates(onSuccess.id)).toEqual(['awaiting', 'deleted']);
      expect(await h.historyStates(onFinish.id)).toEqual(['awaiting', 'enqueued']);
      await h.verify();
    });

    it('counts a retried member out of the finished and failed counts again', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const [bad, other] = [h.job({ queue: 'a' }), h.job({ queue: 'b' })];
      await create(flows, { batches: [{ id: batchId, description: null, parentBatchId: null }], jobs: [member(bad!, batchId), member(other!, batchId)] });
      await finish(bad!.id, 'failed');
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ finished: 1, failed: 1 });
      expect((await h.storage.jobSetState({ id: bad!.id, expected: ['failed'], state: 'enqueued', reason: 'Retry', resetAttempts: true })).ok).toBe(true);
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ finished: 0, failed: 0 });
      await finish(bad!.id, 'succeeded');
      await finish(other!.id, 'succeeded');
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: 2, finished: 2, succeeded: 2, failed: 0 });
      await h.verify();
    });

    it('counts a nested batch as one member of its parent, finished when the nested batch finishes', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const [outer, inner] = [h.ids.next(), h.ids.next()];
      const own = h.job({ queue: 'a' });
      const nested = h.job({ queue: 'b' });
      const then = waiting({ queue: 'then' });
      await create(flows, {
        batches: [
          { id: outer, description: null, parentBatchId: null },
          { id: inner, description: null, parentBatchId: outer },
        ],
        jobs: [member(own, outer), member(nested, inner), member(then, null)],
        dependencies: [edge(then.id, outer, 'skip', 'batch')],
      });
      expect(await flows.batchGet({ id: outer })).toMatchObject({ total: 2, parentBatchId: null });
      expect(await flows.batchGet({ id: inner })).toMatchObject({ total: 1, parentBatchId: outer });
      expect(await flows.batchDescendants({ id: outer })).toEqual([inner]);
      await finish(own.id, 'succeeded');
      expect(await h.stateOf(then.id)).toBe('awaiting');
      await finish(nested.id, 'succeeded');
      expect(await flows.batchGet({ id: inner })).toMatchObject({ finished: 1, succeeded: 1 });
      expect(await flows.batchGet({ id: outer })).toMatchObject({ total: 2, finished: 2, succeeded: 2 });
      expect(await h.stateOf(then.id)).toBe('enqueued');
      await h.verify();
    });

    it('attaches jobs to a running batch, raising its total, and refuses a finished batch', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const first = h.job({ queue: 'a' });
      await create(flows, { batches: [{ id: batchId, description: null, parentBatchId: null }], jobs: [member(first, batchId)] });
      const attached = h.job({ queue: 'b' });
      await create(flows, { jobs: [member(attached, batchId)] });
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: 2 });
      await finish(first.id, 'succeeded');
      await finish(attached.id, 'succeeded');
      expect((await flows.batchGet({ id: batchId }))?.finishedAt).not.toBeNull();
      await expect(flows.flowsCreate({ batches: [], jobs: [member(h.job(), batchId)], dependencies: [] })).rejects.toMatchObject({ code: 'ERR_BATCH_FINISHED' });
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: 2 });
      await h.expectCounts({ succeeded: 2 });
    });

    it('releases a fan-in child only when its last parent succeeds', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const root = h.job({ queue: 'root' });
      const [left, right] = [waiting({ queue: 'left' }), waiting({ queue: 'right' })];
      const join = waiting({ queue: 'join' });
      await create(flows, {
        batches: [{ id: batchId, description: null, parentBatchId: null }],
        jobs: [member(root, batchId, true), member(left, batchId, true), member(right, batchId, true), member(join, batchId)],
        dependencies: [edge(left.id, root.id), edge(right.id, root.id), edge(join.id, left.id), edge(join.id, right.id)],
      });
      await h.expectCounts({ enqueued: 1, awaiting: 3 });
      await finish(root.id, 'succeeded');
      expect([await h.stateOf(left.id), await h.stateOf(right.id), await h.stateOf(join.id)]).toEqual(['enqueued', 'enqueued', 'awaiting']);
      await finish(left.id, 'succeeded');
      expect(await h.stateOf(join.id)).toBe('awaiting');
      await finish(right.id, 'succeeded');
      expect(await h.historyStates(join.id)).toEqual(['awaiting', 'enqueued']);
      const history = await h.history(join.id);
      expect(history.at(-1)?.reason).toContain(right.id);
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: 4, finished: 3, succeeded: 3 });
      await h.verify();
    });

    it('settles children of a failed parent by each dependency\'s policy, in the same call', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const parent = h.job({ queue: 'parent' });
      const other = h.job({ queue: 'other' });
      const failing = waiting();
      const skipped = waiting();
      const runs = waiting({ queue: 'runs' });
      const grandchild = waiting();
      await create(flows, {
        jobs: [member(parent, null, true), member(other, null, true), member(failing, null, true), member(skipped, null), member(runs, null), member(grandchild, null)],
        dependencies: [edge(failing.id, parent.id, 'fail'), edge(skipped.id, parent.id, 'skip'), edge(runs.id, parent.id, 'run'), edge(runs.id, other.id, 'fail'), edge(grandchild.id, failing.id, 'fail')],
      });
      await finish(parent.id, 'failed');
      expect(await h.historyStates(failing.id)).toEqual(['awaiting', 'failed']);
      expect((await h.get(failing.id)).error).toMatchObject({ code: 'ERR_DEPENDENCY_FAILED' });
      expect(await h.historyStates(grandchild.id)).toEqual(['awaiting', 'failed']);
      expect(await h.historyStates(skipped.id)).toEqual(['awaiting', 'deleted']);
      // "run" counts the failed parent as met; the child still waits for its other parent.
      expect(await h.stateOf(runs.id)).toBe('awaiting');
      await finish(other.id, 'succeeded');
      expect(await h.historyStates(runs.id)).toEqual(['awaiting', 'enqueued']);
      await h.verify();
    });

    it('settles the children of a deleted parent, so that none waits for ever', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const parent = h.job();
      const [failing, skipped, runs] = [waiting(), waiting(), waiting()];
      await create(flows, {
        jobs: [member(parent, null, true), member(failing, null), member(skipped, null), member(runs, null)],
        dependencies: [edge(failing.id, parent.id, 'fail'), edge(skipped.id, parent.id, 'skip'), edge(runs.id, parent.id, 'run')],
      });
      expect((await h.storage.jobSetState({ id: parent.id, expected: ['enqueued'], state: 'deleted', reason: 'Deleted' })).ok).toBe(true);
      expect([await h.stateOf(failing.id), await h.stateOf(skipped.id), await h.stateOf(runs.id)]).toEqual(['failed', 'deleted', 'enqueued']);
      await h.expectCounts({ deleted: 2, failed: 1, enqueued: 1 });
      await h.verify();
    });

    it(`releases each of ${FAN_IN_CHILDREN} fan-in children exactly once while ${COMPLETERS} handles complete their parents at once`, async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const parents = Array.from({ length: FAN_IN_PARENTS }, () => h.job({ queue: 'parents' }));
      const children = Array.from({ length: FAN_IN_CHILDREN }, () => waiting({ queue: 'children' }));
      await create(flows, {
        batches: [{ id: batchId, description: null, parentBatchId: null }],
        jobs: [...parents.map((p) => member(p, batchId, true)), ...children.map((c) => member(c, batchId))],
        dependencies: children.flatMap((c) => parents.map((p) => edge(c.id, p.id))),
      });
      const running = await h.fetch({ queues: ['parents'], limit: FAN_IN_PARENTS });
      expect(running).toHaveLength(FAN_IN_PARENTS);
      const handles: Storage[] = [];
      for (let i = 0; i < COMPLETERS; i++) handles.push(await h.connect());
      // Every parent's completion is its own call, on its own handle, all at the same moment.
      await Promise.all(running.map((job, i) => handles[i % COMPLETERS]!.jobsComplete({ completions: [{ id: job.id, leaseToken: job.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Done' } }], serverId: 'server-1' })));
      for (const child of children) expect(await h.historyStates(child.id)).toEqual(['awaiting', 'enqueued']);
      await h.expectCounts({ succeeded: FAN_IN_PARENTS, enqueued: FAN_IN_CHILDREN });
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: FAN_IN_PARENTS + FAN_IN_CHILDREN, finished: FAN_IN_PARENTS, succeeded: FAN_IN_PARENTS });
      await h.verify();
    });

    it('finishes a batch exactly once while its members complete at once on several handles', async () => {
      const flows = flowsOf();
      if (!flows) return;
      const batchId = h.ids.next();
      const members = Array.from({ length: 24 }, () => h.job({ queue: 'members' }));
      const then = waiting({ queue: 'then' });
      await create(flows, { batches: [{ id: batchId, description: null, parentBatchId: null }], jobs: [...members.map((m) => member(m, batchId)), member(then, null)], dependencies: [edge(then.id, batchId, 'skip', 'batch')] });
      const running = await h.fetch({ queues: ['members'], limit: members.length });
      const handles: Storage[] = [];
      for (let i = 0; i < COMPLETERS; i++) handles.push(await h.connect());
      await Promise.all(running.map((job, i) => handles[i % COMPLETERS]!.jobsComplete({ completions: [{ id: job.id, leaseToken: job.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Done' } }], serverId: 'server-1' })));
      expect(await flows.batchGet({ id: batchId })).toMatchObject({ total: members.length, finished: members.length, succeeded: members.length });
      expect(await h.historyStates(then.id)).toEqual(['awaiting', 'enqueued']);
    });

    it('cancels a batch: deletes its waiting and running jobs and those of its nested batches, and settles its continuations', async () => {
      if (!flowsOf()) return;
      const spool = new Spool({ storage: h.storage }, { clock: h.clock });
      let inner = '';
      const batchId = await spool.batch(async (b) => {
        b.enqueue('test.job', { n: 1 }, { queue: 'run', attempts: 1, timeout: null });
        b.enqueue('test.job', { n: 2 }, { queue: 'wait', attempts: 1, timeout: null });
        b.enqueue('test.job', { n: 3 }, { queue: 'later', attempts: 1, timeout: null, delay: 60_000 });
        inner = await b.batch((nested) => {
          nested.enqueue('test.job', { n: 4 }, { queue: 'wait', attempts: 1, timeout: null });
        });
        b.then('test.job', { then: true }, { queue: 'then', attempts: 1, timeout: null });
      });
      const [running] = await h.fetch({ queues: ['run'], limit: 1 });
      expect(running).toBeDefined();
      expect(await spool.batches.cancel(batchId)).toEqual({ deleted: 4 });
      expect(await spool.batches.get(batchId)).toMatchObject({ status: 'cancelled', total: 4, finished: 4, failed: 4 });
      expect(await spool.batches.get(inner)).toMatchObject({ status: 'cancelled', finished: 1 });
      expect(await h.storage.jobLeaseExtend({ leases: [{ id: running!.id, leaseToken: running!.leaseToken }], leaseMs: 30_000 })).toEqual({ lost: [running!.id] });
      await h.expectCounts({ deleted: 5 });
      await h.verify();
    });
  });
}
