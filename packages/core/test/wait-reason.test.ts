import { describe, expect, it } from 'vitest';

import { MemoryStorage, Spool, defineJob, resolveLimits } from '@spool/core';
import type { LimitsOption } from '@spool/core';
import { waitReasonOf } from '@spool/core/storage-kit';
import { fastServer, waitFor } from './helpers.js';

const inForce = (entries: Record<string, LimitsOption>) => new Map(Object.entries(entries).map(([scope, option]) => [scope, resolveLimits(option, 'limits')]));
const gate = (running: number, windowStart = 0, windowCount = 0, pausedUntil = 0) => ({ running, windowStart, windowCount, pausedUntil });

describe('why an enqueued job waits', () => {
  const limits = inForce({ 'queue:mail': { rate: { limit: 50, per: '1s' } }, 'job:documents.export': { perKey: { concurrency: 1 } } });
  const exportJob = { id: 'j1', queue: 'default', name: 'documents.export', limitKey: '42' };
  const mailJob = { id: 'j2', queue: 'mail', name: 'mail.send', limitKey: null };
  const now = 1_700_000_000_500;

  it("names the key whose slots are all taken", () => {
    const reason = waitReasonOf(exportJob, limits, new Map([['job:documents.export#42', gate(1)]]), now);
    expect(reason).toBe('waiting for a slot of key 42 of job documents.export: 1 of 1 running');
  });

  it('says until when a rate-limited gate is paused', () => {
    const reason = waitReasonOf(exportJob, limits, new Map([['job:documents.export#42', gate(0, 0, 0, now + 30_000)]]), now);
    expect(reason).toBe(`key 42 of job documents.export is paused by a rate limit until ${new Date(now + 30_000).toISOString()}`);
  });

  it("says when a used-up rate's next window opens, and nothing once the window has passed", () => {
    const start = now - (now % 1000);
    expect(waitReasonOf(mailJob, limits, new Map([['queue:mail', gate(0, start, 50)]]), now)).toBe(
      `rate limit of queue mail (50 per 1s) is used up; next window at ${new Date(start + 1000).toISOString()}`,
    );
    expect(waitReasonOf(mailJob, limits, new Map([['queue:mail', gate(0, start - 1000, 50)]]), now)).toBeNull();
  });

  it('is null when no limit holds the job', () => {
    expect(waitReasonOf(exportJob, limits, new Map(), now)).toBeNull();
    expect(waitReasonOf({ ...exportJob, name: 'other' }, limits, new Map([['job:documents.export#42', gate(1)]]), now)).toBeNull();
  });

  it('is read from storage by spool.limits.waitReason', async () => {
    const exportPdf = defineJob('documents.export', (_args: { customer: string }, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)), {
      limits: { key: (a: { customer: string }) => a.customer, perKey: { concurrency: 1 } },
    });
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [exportPdf] });
    const server = await spool.startServer({ ...fastServer, shutdownTimeout: '10ms' });
    try {
      const first = await spool.enqueue(exportPdf, { customer: '42' });
      const second = await spool.enqueue(exportPdf, { customer: '42' });
      await waitFor(async () => ((await spool.getJob(first))?.state === 'processing' ? true : null), 'the first export to start');
      expect(await spool.limits.waitReason(second)).toBe('waiting for a slot of key 42 of job documents.export: 1 of 1 running');
      expect(await spool.limits.waitReason(first)).toBeNull();
    } finally {
      await server.stop();
      await spool.close();
    }
  });
});
