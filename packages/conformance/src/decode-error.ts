import { describe, expect, it } from 'vitest';

import type { ConformanceTarget } from './conformance-target.js';
import { testError, useHarness } from './harness.js';

/** Tests that a job whose stored arguments cannot be decoded still flows, marked with `decodeError`. */
export function decodeErrorTests(target: ConformanceTarget): void {
  describe.skipIf(target.corruptJobArgs === undefined)('decodeError', () => {
    const h = useHarness(target);

    it('fetches a corrupted job with decodeError set, leaving other jobs intact', async () => {
      const [before, broken, after] = await h.create({ args: { n: 1 } }, { args: { n: 2 } }, { args: { n: 3 } });
      await h.corrupt(broken!);
      const fetched = await h.fetch();
      expect(fetched.map((j) => j.id).sort()).toEqual([before!, broken!, after!].sort());
      const byId = new Map(fetched.map((j) => [j.id, j]));
      expect(typeof byId.get(broken!)!.decodeError).toBe('string');
      expect(byId.get(broken!)!.decodeError!.length).toBeGreaterThan(0);
      expect(byId.get(broken!)!.state).toBe('processing');
      expect(byId.get(before!)).toMatchObject({ args: { n: 1 } });
      expect(byId.get(after!)).toMatchObject({ args: { n: 3 } });
      expect(byId.get(before!)!.decodeError).toBeUndefined();
      expect(byId.get(after!)!.decodeError).toBeUndefined();
    });

    it('lets the server fail a corrupted job, and reads it with decodeError', async () => {
      const id = await h.createOne({ args: { n: 1 } });
      await h.corrupt(id);
      const job = await h.fetchOne();
      expect(await h.fail(job, testError(job.decodeError))).toBe(true);
      const stored = await h.get(id);
      expect(stored.state).toBe('failed');
      expect(typeof stored.decodeError).toBe('string');
      const { jobs } = await h.storage.monitoring.jobsList({ limit: 10 });
      expect(jobs.map((j) => j.id)).toEqual([id]);
      await h.verify();
    });
  });
}
