import { describe, expect, it } from 'vitest';

import type { NewAuditEntry } from '@spool/core';
import { AUDIT_TARGETS_LIMIT } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { useHarness } from './harness.js';

/** An audit entry with sensible defaults. */
function entry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return { actor: 'ada', action: 'jobs.delete', subject: 'jobs', targets: ['j1', 'j2'], count: 2, outcome: 'done', message: 'Delete: 2 jobs changed.', ...overrides };
}

/** Tests of `auditAppend` and `auditList`. */
export function auditTests(target: ConformanceTarget): void {
  describe('audit log', () => {
    const h = useHarness(target);

    it('appends entries numbered in order and stamped with the storage time, and lists them newest first', async () => {
      const first = await h.storage.auditAppend({ entry: entry(), keep: 100 });
      h.clock.advance(1000);
      const second = await h.storage.auditAppend({ entry: entry({ actor: '127.0.0.1', action: 'queue.pause', subject: 'queue', targets: ['mail'], count: 1, message: 'Paused queue mail.' }), keep: 100 });
      expect(first).toEqual({ ...entry(), seq: first.seq, at: new Date(h.now() - 1000) });
      expect(second.seq).toBeGreaterThan(first.seq);
      expect(await h.storage.auditList({ limit: 10 })).toEqual([second, first]);
    });

    it('pages back from an entry with before, and keeps at most limit per page', async () => {
      const appended = [];
      for (let i = 0; i < 5; i++) appended.push(await h.storage.auditAppend({ entry: entry({ message: `entry ${i}` }), keep: 100 }));
      const page = await h.storage.auditList({ limit: 2 });
      expect(page.map((e) => e.message)).toEqual(['entry 4', 'entry 3']);
      const next = await h.storage.auditList({ limit: 2, before: page.at(-1)!.seq });
      expect(next.map((e) => e.message)).toEqual(['entry 2', 'entry 1']);
      expect((await h.storage.auditList({ limit: 10, before: appended[0]!.seq })).map((e) => e.message)).toEqual([]);
    });

    it('keeps only the latest entries it is told to keep', async () => {
      for (let i = 0; i < 6; i++) await h.storage.auditAppend({ entry: entry({ message: `entry ${i}` }), keep: 3 });
      expect((await h.storage.auditList({ limit: 10 })).map((e) => e.message)).toEqual(['entry 5', 'entry 4', 'entry 3']);
    });

    it('is shared by every handle on the same data', async () => {
      const other = await h.connect();
      await h.storage.auditAppend({ entry: entry({ message: 'here' }), keep: 100 });
      await other.auditAppend({ entry: entry({ message: 'there' }), keep: 100 });
      expect((await h.storage.auditList({ limit: 10 })).map((e) => e.message)).toEqual(['there', 'here']);
    });

    it('stores any text an operator or a job may bring, and at most the first targets of a large set', async () => {
      const hostile = '<b>"quoted" \\ \'single\'</b>\u0000 😀 \n line';
      const targets = Array.from({ length: AUDIT_TARGETS_LIMIT + 5 }, (_, i) => `job-${i}`);
      const stored = await h.storage.auditAppend({ entry: entry({ actor: hostile, targets: [hostile, ...targets], count: targets.length + 1, outcome: 'refused', message: hostile }), keep: 100 });
      const storable = hostile.replace('\u0000', '\uFFFD');
      expect(stored.actor).toBe(storable);
      expect(stored.targets).toEqual([storable, ...targets.slice(0, AUDIT_TARGETS_LIMIT - 1)]);
      expect((await h.storage.auditList({ limit: 1 }))[0]).toEqual(stored);
    });
  });
}
