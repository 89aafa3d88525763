import { describe, expect, it } from 'vitest';
import { ManualRuntime, resolveRuntime, systemRuntime } from '@spool/core';

describe('the manual runtime', () => {
  it('fires timers only when time is advanced to them, in due order, with the clock at each due time', async () => {
    const runtime = new ManualRuntime(1_000);
    const fired: Array<[string, number]> = [];
    runtime.setTimer(() => fired.push(['late', runtime.clock.now()]), 300);
    runtime.setTimer(() => fired.push(['early', runtime.clock.now()]), 100);
    runtime.setTimer(() => fired.push(['same time, set later', runtime.clock.now()]), 100);
    const cancelled = runtime.setTimer(() => fired.push(['cancelled', runtime.clock.now()]), 200);
    cancelled.clear();
    await runtime.settle();
    expect(fired).toEqual([]);
    await runtime.advance(299);
    expect(fired).toEqual([
      ['early', 1_100],
      ['same time, set later', 1_100],
    ]);
    expect(runtime.clock.now()).toBe(1_299);
    await runtime.advance(1);
    expect(fired.at(-1)).toEqual(['late', 1_300]);
    expect(runtime.pendingTimers).toBe(0);
  });

  it('fires a timer that a fired timer sets, when it falls due within the same advance', async () => {
    const runtime = new ManualRuntime(0);
    const fired: number[] = [];
    runtime.setTimer(() => runtime.setTimer(() => fired.push(runtime.clock.now()), 50), 50);
    await runtime.advance(100);
    expect(fired).toEqual([100]);
  });

  it('ends a sleep when its time comes or its signal aborts, whichever is first', async () => {
    const runtime = new ManualRuntime(0);
    let woke = false;
    const nap = runtime.sleep(1_000).then(() => (woke = true));
    await runtime.advance(999);
    expect(woke).toBe(false);
    await runtime.advance(1);
    await nap;
    const controller = new AbortController();
    const interrupted = runtime.sleep(60_000, controller.signal);
    controller.abort();
    await interrupted;
    expect(runtime.clock.now()).toBe(1_000);
  });
});

describe('resolving a runtime', () => {
  it('keeps real timers for a clock alone, and takes every part of a runtime object, methods bound', async () => {
    const manual = new ManualRuntime(5_000, () => 0.25);
    const clockOnly = resolveRuntime({ clock: manual.clock });
    expect(clockOnly.clock.now()).toBe(5_000);
    expect(clockOnly.setTimer).toBe(systemRuntime.setTimer);
    const whole = resolveRuntime(manual);
    expect(whole.random()).toBe(0.25);
    let fired = false;
    whole.setTimer(() => (fired = true), 10);
    const slept = whole.sleep(10);
    await manual.advance(10);
    await slept;
    expect(fired).toBe(true);
  });
});
