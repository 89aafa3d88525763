import { describe, expect, it } from 'vitest';

import type { JobRecord, JobsListParams } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import type { Harness } from './harness.js';
import { useHarness } from './harness.js';

/** Every job of a list in name order, following cursors, with the size of each page. */
async function listByName(h: Harness, params: Partial<JobsListParams> = {}): Promise<{ jobs: JobRecord[]; sizes: number[] }> {
  const jobs: JobRecord[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  for (let n = 0; n < 1_000; n++) {
    const page: { jobs: JobRecord[]; nextCursor: string | null } = await h.storage.monitoring.jobsList({ limit: 100, ...params, order: 'name', cursor });
    jobs.push(...page.jobs);
    sizes.push(page.jobs.length);
    cursor = page.nextCursor;
    if (cursor === null) return { jobs, sizes };
  }
  throw new Error('jobsList in name order kept returning cursors');
}

/** By name, then newest first (ids are UUIDv7). Names in these tests are lowercase ASCII words, which every storage orders alike. */
function inNameOrder(jobs: ReadonlyArray<{ id: string; name: string }>): string[] {
  return [...jobs].sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.id < b.id ? 1 : -1)).map((j) => j.id);
}

/** Tests of `jobsList` in name order (`order: 'name'`): the dashboard's "sort by job name". */
export function listOrderTests(target: ConformanceTarget): void {
  describe('monitoring: jobsList by job name', () => {
    const h = useHarness(target);

    it('lists by name, newest first within a name, and pages without duplicates or gaps', async () => {
      const names = ['delta', 'alpha', 'charlie', 'bravo', 'alpha', 'delta', 'alpha', 'bravo'];
      const created: Array<{ id: string; name: string }> = [];
      for (const name of names) {
        created.push({ id: await h.createOne({ name }), name });
        h.clock.advance(5);
      }
      const whole = await h.storage.monitoring.jobsList({ limit: 100, order: 'name' });
      expect(whole.jobs.map((j) => j.id)).toEqual(inNameOrder(created));
      expect(whole.jobs.map((j) => j.name)).toEqual(['alpha', 'alpha', 'alpha', 'bravo', 'bravo', 'charlie', 'delta', 'delta']);
      expect(whole.nextCursor).toBeNull();
      const paged = await listByName(h, { limit: 3 });
      expect(paged.jobs.map((j) => j.id)).toEqual(inNameOrder(created));
      expect(paged.sizes).toEqual([3, 3, 2]);
    });

    it('returns no cursor when the last page is exactly full, also at the end of a name', async () => {
      await h.create({ name: 'alpha' }, { name: 'alpha' }, { name: 'bravo' }, { name: 'bravo' });
      const first = await h.storage.monitoring.jobsList({ limit: 2, order: 'name' });
      expect(first.jobs.map((j) => j.name)).toEqual(['alpha', 'alpha']);
      expect(first.nextCursor).not.toBeNull();
      const second = await h.storage.monitoring.jobsList({ limit: 2, order: 'name', cursor: first.nextCursor });
      expect(second.jobs.map((j) => j.name)).toEqual(['bravo', 'bravo']);
      expect(second.nextCursor).toBeNull();
    });

    it('applies the state, queue and name filters', async () => {
      const [a1, b1, b2, c1] = await h.create({ name: 'alpha', queue: 'q1' }, { name: 'bravo', queue: 'q2' }, { name: 'bravo', queue: 'q1' }, { name: 'charlie', queue: 'q1' });
      const scheduled = await h.createOne(h.scheduledJob(1_000, { name: 'alpha', queue: 'q1' }));
      expect((await listByName(h, { state: 'enqueued' })).jobs.map((j) => j.id)).toEqual([a1, b2, b1, c1]);
      expect((await listByName(h, { queue: 'q1' })).jobs.map((j) => j.id)).toEqual([scheduled, a1, b2, c1]);
      expect((await listByName(h, { state: 'scheduled' })).jobs.map((j) => j.id)).toEqual([scheduled]);
      expect((await listByName(h, { name: 'bravo', state: 'enqueued', limit: 1 })).jobs.map((j) => j.id)).toEqual([b2, b1]);
      expect((await listByName(h, { state: 'failed' })).jobs).toEqual([]);
    });

    it('reaches a match past many names that have none', async () => {
      const names = Array.from({ length: 45 }, (_, i) => `name${String(i).padStart(2, '0')}`);
      await h.storage.jobsCreate({ jobs: names.map((name) => h.job({ name })) });
      const wanted = await h.createOne(h.scheduledJob(1_000, { name: 'name44' }));
      const scheduled = await listByName(h, { state: 'scheduled', limit: 5 });
      expect(scheduled.jobs.map((j) => j.id)).toEqual([wanted]);
      const everyJob = await listByName(h, { limit: 7 });
      expect(everyJob.jobs.map((j) => j.name)).toEqual([...names, 'name44'].sort());
    });

    it('lists each job once while jobs are created between pages', async () => {
      const before = await h.create({ name: 'alpha' }, { name: 'bravo' }, { name: 'charlie' }, { name: 'delta' });
      const first = await h.storage.monitoring.jobsList({ limit: 2, order: 'name' });
      h.clock.advance(10);
      await h.create({ name: 'alpha' }, { name: 'delta' });
      const rest = await listByName(h, { limit: 2 });
      const second = await h.storage.monitoring.jobsList({ limit: 10, order: 'name', cursor: first.nextCursor });
      const seen = [...first.jobs, ...second.jobs].map((j) => j.id);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
      expect(rest.jobs).toHaveLength(6);
    });
  });
}
