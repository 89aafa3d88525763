import { describe, expect, it } from 'vitest';
import type { ChangeCause, ChangeShape, ErrorRecord, JobState, StateChangeRequest } from '@spool/core';
import { CAUSE_VARIANTS, FIXED_WRITES, JOB_STATES, assertFixedWrite, TRANSITIONS, allChangeShapes, assertWritesShape, causeVariant, decideStateChange } from '@spool/core';

const NOW = Date.UTC(2026, 11, 6, 14, 30, 15);
const HOUR = Date.UTC(2026, 11, 6, 14);
const ERROR: ErrorRecord = { name: 'Error', message: 'boom' };

function decide(from: JobState, to: JobState, cause: ChangeCause, overrides: Partial<StateChangeRequest> = {}) {
  return decideStateChange({ from, to, cause, now: NOW, reason: 'why', data: null, serverId: 'server-1', ...overrides });
}

describe('what a state change writes, decided once', () => {
  it('a claim leases the job and counts an attempt', () => {
    const change = decide('enqueued', 'processing', { kind: 'claim', leaseToken: 't1', leaseExpiresAt: NOW + 30_000 });
    expect(change).toMatchObject({
      attempts: 'count',
      rescues: 'keep',
      lease: { take: 't1', expiresAt: NOW + 30_000 },
      finishedAt: 'keep',
      runAt: 'keep',
      expires: false,
      queuePosition: 'keep',
      counters: { down: 'enqueued', up: 'processing', queue: -1, series: null },
      uniqueKey: 'keep',
      settleContinuations: false,
      events: { state: 'processing', enqueued: false, scheduledAt: null },
    });
  });

  it('a success finishes the job, keeps the holder token, completes progress, expires it and counts the hour', () => {
    const change = decide('processing', 'succeeded', { kind: 'succeeded', result: { ok: true } });
    expect(change).toMatchObject({
      finishedAt: { set: NOW },
      expires: true,
      progress: 'complete',
      result: { set: { ok: true } },
      error: 'keep',
      lease: 'end',
      counters: { down: 'processing', up: 'succeeded', queue: 0, series: { state: 'succeeded', bucket: HOUR } },
      settleContinuations: true,
      history: { state: 'succeeded', reason: 'why', at: NOW, serverId: 'server-1' },
    });
  });

  it('a final failure stores the error, is kept until acted on, and settles continuations', () => {
    const change = decide('processing', 'failed', { kind: 'failed', error: ERROR });
    expect(change).toMatchObject({ error: { set: ERROR }, expires: false, finishedAt: { set: NOW }, lease: 'end', settleContinuations: true });
    expect(change.counters.series).toEqual({ state: 'failed', bucket: HOUR });
  });

  it('a retry schedules the job at its due time, not finished, and says when', () => {
    const change = decide('processing', 'scheduled', { kind: 'retry', error: ERROR, runAt: NOW + 15_000 });
    expect(change).toMatchObject({ runAt: { set: NOW + 15_000 }, finishedAt: { set: null }, error: { set: ERROR }, settleContinuations: false });
    expect(change.events).toEqual({ state: 'scheduled', enqueued: false, scheduledAt: NOW + 15_000 });
  });

  it('a job handed back at shutdown goes behind the queue with its attempt refunded', () => {
    expect(decide('processing', 'enqueued', { kind: 'returned', refundAttempt: true })).toMatchObject({
      attempts: 'refund',
      queuePosition: 'back',
      runAt: { set: null },
      lease: 'end',
      counters: { queue: 1 },
      events: { enqueued: true },
    });
    expect(decide('processing', 'enqueued', { kind: 'returned', refundAttempt: false }).attempts).toBe('keep');
  });

  it('a rescue counts the rescue and clears the lease; a poisoned job is failed without counting one more', () => {
    expect(decide('processing', 'enqueued', { kind: 'rescue', poisoned: false })).toMatchObject({ rescues: 'count', lease: 'clear', error: 'keep' });
    expect(decide('processing', 'failed', { kind: 'rescue', poisoned: true, error: ERROR })).toMatchObject({ rescues: 'keep', lease: 'clear', error: { set: ERROR } });
  });

  it('an operator requeue of a finished job starts over and checks the unique key', () => {
    expect(decide('failed', 'enqueued', { kind: 'operator', resetAttempts: true })).toMatchObject({
      attempts: 'reset',
      rescues: 'reset',
      finishedAt: { set: null },
      expires: false,
      uniqueKey: 'check-holder',
      lease: 'clear',
      settleContinuations: false,
    });
    expect(decide('enqueued', 'deleted', { kind: 'operator', resetAttempts: false })).toMatchObject({ uniqueKey: 'keep', settleContinuations: true, counters: { queue: -1 } });
  });

  it('a promotion and a released continuation go behind the queue; a cancelled one finishes', () => {
    expect(decide('scheduled', 'enqueued', { kind: 'promotion' })).toMatchObject({ queuePosition: 'back', runAt: { set: null }, lease: 'clear' });
    expect(decide('awaiting', 'enqueued', { kind: 'parent', parentId: 'p' })).toMatchObject({ queuePosition: 'back', settleContinuations: false });
    expect(decide('awaiting', 'deleted', { kind: 'parent', parentId: 'p' })).toMatchObject({ finishedAt: { set: NOW }, settleContinuations: true });
  });

  it('refuses a transition the table does not allow, and a cause that does not fit its move', () => {
    expect(() => decide('succeeded', 'processing', { kind: 'claim', leaseToken: 't', leaseExpiresAt: NOW })).toThrow(/No transition succeeded -> processing/);
    expect(() => decide('enqueued', 'succeeded', { kind: 'succeeded', result: null })).toThrow();
    expect(() => decide('scheduled', 'enqueued', { kind: 'rescue', poisoned: false })).toThrow(/rescue cannot move a job from scheduled to enqueued/);
  });

  it('has a cause for every transition of the table', () => {
    const causes: ChangeCause[] = [
      { kind: 'claim', leaseToken: 't', leaseExpiresAt: NOW },
      { kind: 'succeeded', result: null },
      { kind: 'failed', error: ERROR },
      { kind: 'retry', error: ERROR, runAt: NOW },
      { kind: 'returned', refundAttempt: true },
      { kind: 'rescue', poisoned: false },
      { kind: 'promotion' },
      { kind: 'parent', parentId: 'p' },
      { kind: 'operator', resetAttempts: false },
    ];
    const uncovered: string[] = [];
    for (const from of JOB_STATES) {
      for (const to of TRANSITIONS[from]) {
        const decided = causes.some((cause) => {
          try {
            decide(from, to, cause);
            return true;
          } catch {
            return false;
          }
        });
        if (!decided) uncovered.push(`${from} -> ${to}`);
      }
    }
    expect(uncovered).toEqual([]);
  });
});

describe('writes fixed in advance are checked against the decision', () => {
  const SUCCESS_WRITES: ChangeShape = FIXED_WRITES.success.shape;

  it('holds a shape core decides for every write storages fix in advance', () => {
    for (const kind of Object.keys(FIXED_WRITES) as Array<keyof typeof FIXED_WRITES>) expect(() => assertFixedWrite(kind, kind)).not.toThrow();
  });

  it('accepts a statement that writes what core decides', () => {
    expect(() => assertWritesShape('a success statement', 'processing', 'succeeded', { kind: 'succeeded', result: null }, SUCCESS_WRITES)).not.toThrow();
  });

  it('names every field a statement writes differently', () => {
    const drifted: ChangeShape = { ...SUCCESS_WRITES, lease: 'clear', expires: false };
    expect(() => assertWritesShape('a success statement', 'processing', 'succeeded', { kind: 'succeeded', result: null }, drifted)).toThrow(
      'a success statement does not write what core decides for processing -> succeeded (succeeded): expires: writes false, core decides true; lease: writes clear, core decides end',
    );
  });

  it('has a shape for every variant of every cause on each move the cause may make', () => {
    const shapes = allChangeShapes();
    expect(shapes.get('rescue:poisoned|processing>failed')).toMatchObject({ rescues: 'keep', error: 'set', lease: 'clear', settleContinuations: true });
    expect(shapes.get('returned:refund|processing>enqueued')).toMatchObject({ attempts: 'refund', queuePosition: 'back', lease: 'end' });
    expect(shapes.get('operator:reset|failed>enqueued')).toMatchObject({ attempts: 'reset', rescues: 'reset', uniqueKey: 'check-holder' });
    expect(shapes.has('promotion|processing>enqueued')).toBe(false);
    for (const variant of Object.keys(CAUSE_VARIANTS)) {
      expect([...shapes.keys()].some((key) => key.startsWith(`${variant}|`)), variant).toBe(true);
      expect(causeVariant(CAUSE_VARIANTS[variant]!('enqueued'))).toBe(variant);
    }
  });
});
