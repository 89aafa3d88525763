import { describe, expect, it } from 'vitest';

import { DEFAULT_RECURRING_SETTINGS } from '@spool/core';
import type { ErrorRecord, Json } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import { testError, useHarness } from './harness.js';

// What a handler can produce and a storage cannot hold as it is, with what every storage gives back:
// each NUL and each lone surrogate becomes U+FFFD (see storable-text.ts in core); everything else,
// a well-formed surrogate pair too, is kept exactly.
const NUL = 'a\u0000b';
const NUL_STORED = 'a\uFFFDb';
const HIGH = 'x\ud800y';
const HIGH_STORED = 'x\uFFFDy';
const LOW = '\udfff';
const LOW_STORED = '\uFFFD';
const MIXED = 'ok \u{1F600} \u0000 \udc00\ud83d end \ud83d';
const MIXED_STORED = 'ok \u{1F600} \uFFFD \uFFFD\uFFFD end \uFFFD';
const MEGABYTE = 1024 * 1024;

/** An error record whose every field, down its cause, carries hostile text. */
function hostileError(): ErrorRecord {
  return { name: NUL, message: HIGH, code: LOW, stack: MIXED, cause: { name: HIGH, message: NUL, cause: { name: 'Error', message: MIXED } } };
}

/** {@link hostileError} as every storage gives it back. */
function storedError(): ErrorRecord {
  return {
    name: NUL_STORED,
    message: HIGH_STORED,
    code: LOW_STORED,
    stack: MIXED_STORED,
    cause: { name: HIGH_STORED, message: NUL_STORED, cause: { name: 'Error', message: MIXED_STORED } },
  };
}

/** A result with hostile text in nested values and object keys. */
function hostileResult(): Json {
  return { [NUL]: [HIGH, { [LOW]: MIXED, n: 1, ok: true, none: null }], plain: 'kept \u{1F600}', list: [NUL, [LOW]] };
}

/** {@link hostileResult} as every storage gives it back. */
function storedResult(): Json {
  return { [NUL_STORED]: [HIGH_STORED, { [LOW_STORED]: MIXED_STORED, n: 1, ok: true, none: null }], plain: 'kept \u{1F600}', list: [NUL_STORED, [LOW_STORED]] };
}

/**
 * Tests that every string a handler can produce is stored: in an error record, a reason, a result, a
 * log line, a parameter and the history derived from them, with NUL and lone surrogates replaced by
 * U+FFFD, and that one such value never keeps the rest of its batch from being recorded.
 */
export function hostileStringsTests(target: ConformanceTarget): void {
  describe('values a storage cannot hold as they are', () => {
    const h = useHarness(target);

    it('stores a failure whose error record and reason hold NUL and lone surrogates, replacing them', async () => {
      const job = await h.running();
      expect(await h.complete(job, { state: 'failed', error: hostileError(), reason: `Failed: ${NUL}` })).toBe(true);
      expect(await h.get(job.id)).toMatchObject({ state: 'failed', error: storedError() });
      const last = (await h.history(job.id)).at(-1)!;
      expect(last).toMatchObject({ state: 'failed', reason: `Failed: ${NUL_STORED}`, data: { error: storedError() } });
      await h.verify();
    });

    it('stores a retry whose error record and reason hold NUL and lone surrogates, replacing them', async () => {
      const job = await h.running();
      const runAt = new Date(h.now() + 10_000);
      expect(await h.complete(job, { state: 'scheduled', runAt, error: hostileError(), reason: `Retry: ${HIGH}` })).toBe(true);
      expect(await h.get(job.id)).toMatchObject({ state: 'scheduled', runAt, error: storedError() });
      const last = (await h.history(job.id)).at(-1)!;
      expect(last).toMatchObject({ state: 'scheduled', reason: `Retry: ${HIGH_STORED}`, data: { error: storedError(), runAt: runAt.toISOString() } });
      await h.verify();
    });

    it('stores a success whose result holds NUL and lone surrogates in values and keys, replacing them', async () => {
      await h.create({}, {});
      const [a, b] = await h.fetch();
      const result = await h.storage.jobsComplete({
        serverId: 'server-1',
        completions: [
          { id: a!.id, leaseToken: a!.leaseToken, outcome: { state: 'succeeded', result: hostileResult(), reason: `Done ${LOW}` } },
          { id: b!.id, leaseToken: b!.leaseToken, outcome: { state: 'succeeded', result: MIXED, reason: 'Done' } },
        ],
      });
      expect(result.results).toEqual([
        { id: a!.id, ok: true },
        { id: b!.id, ok: true },
      ]);
      expect(await h.get(a!.id)).toMatchObject({ state: 'succeeded', result: storedResult() });
      expect((await h.get(b!.id)).result).toBe(MIXED_STORED);
      expect((await h.history(a!.id)).at(-1)).toMatchObject({ state: 'succeeded', reason: `Done ${LOW_STORED}` });
      await h.verify();
    });

    it('stores a return to the queue whose reason holds NUL, replacing it', async () => {
      const job = await h.running();
      expect(await h.complete(job, { state: 'enqueued', reason: `Back ${NUL}`, refundAttempt: true })).toBe(true);
      expect((await h.history(job.id)).at(-1)).toMatchObject({ state: 'enqueued', reason: `Back ${NUL_STORED}` });
      await h.verify();
    });

    it('records every completion of a batch that holds one hostile completion of each kind', async () => {
      await h.create({}, {}, {}, {}, {});
      const [plain, success, failure, retry, back] = await h.fetch();
      const runAt = new Date(h.now() + 60_000);
      const result = await h.storage.jobsComplete({
        serverId: 'server-1',
        completions: [
          { id: plain!.id, leaseToken: plain!.leaseToken, outcome: { state: 'succeeded', result: { sent: 1 }, reason: 'Done' } },
          { id: success!.id, leaseToken: success!.leaseToken, outcome: { state: 'succeeded', result: hostileResult(), reason: 'Done' } },
          { id: failure!.id, leaseToken: failure!.leaseToken, outcome: { state: 'failed', error: hostileError(), reason: NUL } },
          { id: retry!.id, leaseToken: retry!.leaseToken, outcome: { state: 'scheduled', runAt, error: hostileError(), reason: HIGH } },
          { id: back!.id, leaseToken: back!.leaseToken, outcome: { state: 'enqueued', reason: LOW, refundAttempt: false } },
        ],
      });
      expect(result.results.map((r) => r.ok)).toEqual([true, true, true, true, true]);
      expect(await h.get(plain!.id)).toMatchObject({ state: 'succeeded', result: { sent: 1 } });
      expect(await h.get(success!.id)).toMatchObject({ state: 'succeeded', result: storedResult() });
      expect(await h.get(failure!.id)).toMatchObject({ state: 'failed', error: storedError() });
      expect(await h.get(retry!.id)).toMatchObject({ state: 'scheduled', error: storedError() });
      expect(await h.stateOf(back!.id)).toBe('enqueued');
      await h.expectCounts({ succeeded: 2, failed: 1, scheduled: 1, enqueued: 1 });
      await h.verify();
    });

    it('answers a repeat of a hostile completion as done, as for any other', async () => {
      const job = await h.running();
      const completion = { id: job.id, leaseToken: job.leaseToken, outcome: { state: 'failed', error: hostileError(), reason: NUL } } as const;
      expect((await h.storage.jobsComplete({ completions: [completion], serverId: 'server-1' })).results).toEqual([{ id: job.id, ok: true }]);
      const history = await h.history(job.id);
      expect((await h.storage.jobsComplete({ completions: [completion], serverId: 'server-1' })).results).toEqual([{ id: job.id, ok: true }]);
      expect(await h.history(job.id)).toEqual(history);
    });

    it('stores log lines that hold NUL and lone surrogates, and every other line of their call', async () => {
      const [a, b] = await h.create({}, {});
      const at = new Date(h.now());
      await h.storage.jobLogsAppend({
        entries: [
          { jobId: a!, attempt: 1, level: 'info', message: 'before', at },
          { jobId: a!, attempt: 1, level: 'warn', message: NUL, at: new Date(at.getTime() + 1) },
          { jobId: b!, attempt: 1, level: 'info', message: 'other job', at },
          { jobId: a!, attempt: 1, level: 'error', message: MIXED, at: new Date(at.getTime() + 2) },
          { jobId: b!, attempt: 1, level: 'debug', message: HIGH, at: new Date(at.getTime() + 1) },
        ],
      });
      expect((await h.storage.monitoring.jobDetails({ id: a! }))!.logs.map((l) => l.message)).toEqual(['before', NUL_STORED, MIXED_STORED]);
      expect((await h.storage.monitoring.jobDetails({ id: b! }))!.logs.map((l) => l.message)).toEqual(['other job', HIGH_STORED]);
    });

    it('stores parameters whose keys and values hold NUL and lone surrogates, replacing them', async () => {
      const id = await h.createOne({ parameters: { given: NUL, [HIGH]: [LOW] } });
      expect(await h.storage.jobParameterSet({ id, key: 'value', value: hostileResult() })).toBe(true);
      expect(await h.storage.jobParameterSet({ id, key: LOW, value: MIXED })).toBe(true);
      expect((await h.get(id)).parameters).toEqual({ given: NUL_STORED, [HIGH_STORED]: [LOW_STORED], value: storedResult(), [LOW_STORED]: MIXED_STORED });
    });

    it("stores an operator's state change whose reason, data and error hold NUL and lone surrogates", async () => {
      const { id } = await h.running();
      const change = await h.storage.jobSetState({ id, expected: ['processing'], state: 'failed', reason: NUL, data: { note: HIGH }, error: hostileError() });
      expect(change.ok).toBe(true);
      expect(await h.get(id)).toMatchObject({ state: 'failed', error: storedError() });
      expect((await h.history(id)).at(-1)).toMatchObject({ state: 'failed', reason: NUL_STORED, data: { note: HIGH_STORED } });
      await h.verify();
    });

    it('keeps job arguments exactly, NUL and lone surrogates included, wherever they are read', async () => {
      // Arguments are never replaced: they are stored as the JSON text the client made, which escapes
      // NUL and lone surrogates, and no storage reads inside it.
      const args = hostileResult();
      const id = await h.createOne({ args });
      expect((await h.get(id)).args).toEqual(args);
      expect((await h.fetchOne()).args).toEqual(args);
      expect((await h.storage.monitoring.jobDetails({ id }))!.job.args).toEqual(args);
      const { jobs } = await h.storage.monitoring.jobsList({ limit: 10 });
      expect(jobs.map((j) => j.args)).toEqual([args]);
      await h.storage.recurringUpsert({
        recurring: {
          id: 'hostile',
          name: 'test.job',
          args,
          cron: '* * * * *',
          timezone: 'UTC',
          queue: 'default',
          priority: 0,
          maxAttempts: 3,
          timeoutMs: null,
          retentionMs: null,
          misfire: 'once',
          settings: { ...DEFAULT_RECURRING_SETTINGS },
          paused: false,
          nextRunAt: null,
        },
      });
      expect((await h.storage.recurringGet({ id: 'hostile' }))!.args).toEqual(args);
    });

    it('stores a 1 MB error message, log line and result exactly, and replaces a NUL at their end', async () => {
      const big = 'x'.repeat(MEGABYTE);
      await h.create({}, {}, {});
      const [failing, succeeding, withNul] = await h.fetch();
      const result = await h.storage.jobsComplete({
        serverId: 'server-1',
        completions: [
          { id: failing!.id, leaseToken: failing!.leaseToken, outcome: { state: 'failed', error: testError(big), reason: 'Failed' } },
          { id: succeeding!.id, leaseToken: succeeding!.leaseToken, outcome: { state: 'succeeded', result: { text: big }, reason: 'Done' } },
          { id: withNul!.id, leaseToken: withNul!.leaseToken, outcome: { state: 'succeeded', result: `${big}\u0000`, reason: 'Done' } },
        ],
      });
      expect(result.results.map((r) => r.ok)).toEqual([true, true, true]);
      expect((await h.get(failing!.id)).error!.message).toBe(big);
      expect((await h.get(succeeding!.id)).result).toEqual({ text: big });
      expect((await h.get(withNul!.id)).result).toBe(`${big}\uFFFD`);
      await h.storage.jobLogsAppend({ entries: [{ jobId: failing!.id, attempt: 1, level: 'info', message: `${big}\u0000`, at: new Date(h.now()) }] });
      expect((await h.storage.monitoring.jobDetails({ id: failing!.id }))!.logs.map((l) => l.message)).toEqual([`${big}\uFFFD`]);
    });
  });
}
