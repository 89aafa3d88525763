import { describe, expect, it } from 'vitest';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

/** Tests of the storage's life: capabilities, init, migrate, now and close. */
export function lifecycleTests(target: ConformanceTarget): void {
  describe('lifecycle', () => {
    const h = useHarness(target);

    it('describes itself with a kind and typed capabilities', () => {
      expect(typeof h.storage.kind).toBe('string');
      expect(h.storage.kind.length).toBeGreaterThan(0);
      const c = h.storage.capabilities;
      expect(typeof c.multiProcess).toBe('boolean');
      expect(['none', 'local', 'distributed']).toContain(c.notifications);
      expect(typeof c.externalTransactions).toBe('boolean');
      expect(typeof c.durable).toBe('boolean');
    });

    it('can be initialised and migrated again without applying anything twice', async () => {
      const id = await h.createOne();
      await h.storage.init();
      expect(await h.storage.migrate()).toEqual({ applied: [] });
      expect(await h.stateOf(id)).toBe('enqueued');
    });

    it('reads time from the injected clock', async () => {
      expect(await h.storage.now()).toBe(h.now());
      h.clock.advance(12_345);
      expect(await h.storage.now()).toBe(h.now());
    });

    it('refuses calls once closed with ERR_STORAGE_CLOSED', async () => {
      const id = await h.createOne();
      const other = await h.connect();
      if (other !== h.storage) await other.close();
      await h.storage.close();
      await expect(h.storage.jobGet({ id })).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
      await expect(h.storage.jobsCreate({ jobs: [h.job()] })).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
      await expect(h.storage.monitoring.stats()).rejects.toMatchObject({ code: 'ERR_STORAGE_CLOSED' });
    });
  });
}
