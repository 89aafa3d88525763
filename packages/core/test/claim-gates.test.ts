import { describe, expect, it } from 'vitest';

import { resolveLimits } from '@spool/core';
import type { LimitsOption } from '@spool/core';
import { claimMayMeetLimits, fullGates, scopesOfClaim } from '@spool/core/storage-kit';
import type { GateState } from '@spool/core/storage-kit';

// The helpers a storage's claim uses to read less: which scopes a claim may meet, and which gates
// it can pass over. Admission (admitJobs) still decides; these must agree with it.

const inForce = (entries: Record<string, LimitsOption>) => new Map(Object.entries(entries).map(([scope, option]) => [scope, resolveLimits(option, 'limits')]));
const gate = (running: number, windowStart = 0, windowCount = 0, pausedUntil = 0): GateState => ({ running, windowStart, windowCount, pausedUntil });

describe('the scopes a claim may meet', () => {
  const limits = inForce({ 'queue:mail': { concurrency: 2 }, 'job:export': { perKey: { concurrency: 1 } }, 'job:report': { rate: { limit: 5, per: '1m' } } });

  it('are its queue and the limited names it may claim, sorted', () => {
    expect(scopesOfClaim(limits, 'mail', ['report', 'mail.send'])).toEqual(['job:report', 'queue:mail']);
    expect(scopesOfClaim(limits, 'default', null)).toEqual(['job:export', 'job:report']);
    expect(scopesOfClaim(limits, 'default', ['mail.send'])).toEqual([]);
  });

  it('are none exactly when the claim may take its jobs unchecked', () => {
    for (const [queue, names] of [
      ['mail', ['x']],
      ['default', null],
      ['default', ['x']],
      ['default', ['export']],
    ] as const) {
      expect(claimMayMeetLimits(limits, queue, names)).toBe(scopesOfClaim(limits, queue, names).length > 0);
    }
    expect(claimMayMeetLimits(new Map(), 'mail', null)).toBe(false);
  });
});

describe('the gates a claim passes over', () => {
  const limits = inForce({ 'queue:mail': { concurrency: 2 }, 'job:export': { rate: { limit: 3, per: '1m' }, perKey: { concurrency: 1 } } });
  const now = 120_000 + 5_000;

  it('are those at their concurrency, and at their rate in the current window only', () => {
    const gates = new Map([
      ['queue:mail', gate(2)],
      ['job:export', gate(0, 120_000, 3)],
      ['job:export#a', gate(1)],
      ['job:export#b', gate(0)],
    ]);
    expect([...fullGates(limits, gates, now)]).toEqual(['queue:mail', 'job:export', 'job:export#a']);
    // The rate's window has rolled over since those starts: the gate admits again.
    gates.set('job:export', gate(0, 60_000, 3));
    expect([...fullGates(limits, gates, now)]).toEqual(['queue:mail', 'job:export#a']);
  });

  it('are those paused by a rate-limited job until later than now, and not once the pause ends', () => {
    const gates = new Map([['job:export#a', gate(0, 0, 0, now + 1)], ['job:export#b', gate(0, 0, 0, now)]]);
    expect([...fullGates(limits, gates, now)]).toEqual(['job:export#a']);
  });

  it('ignore gates of scopes without limits in force', () => {
    expect([...fullGates(limits, new Map([['queue:other', gate(9)], ['queue:mail#k', gate(9)]]), now)]).toEqual([]);
  });
});
