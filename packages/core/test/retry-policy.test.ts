import { describe, expect, it } from 'vitest';
import { defaultBackoffMs, retryDelayMs } from '@spool/core';

const error = { name: 'Error', message: 'x', code: 'RATE_LIMITED' };

describe('retry delays', () => {
  it('follow the default curve with jitter: attempt^4 + 15 s + up to 29 s × attempt', () => {
    expect(defaultBackoffMs(1, () => 0)).toBe(16_000);
    expect(defaultBackoffMs(1, () => 0.999)).toBe(45_000);
    expect(defaultBackoffMs(3, () => 0.5)).toBe((81 + 15 + 15 * 3) * 1000);
  });

  it('use a stored fixed or exponential policy before the definition', () => {
    expect(retryDelayMs(4, error, { type: 'fixed', delayMs: 500 }, 'default')).toBe(500);
    expect(retryDelayMs(4, error, { type: 'exponential', delayMs: 100 }, 'default')).toBe(800);
    expect(retryDelayMs(10, error, { type: 'exponential', delayMs: 100, maxDelayMs: 1000 }, 'default')).toBe(1000);
  });

  it("use the definition's function with the attempt and the error", () => {
    const policy = (attempt: number, e: { code?: string }) => (e.code === 'RATE_LIMITED' ? 60_000 : attempt);
    expect(retryDelayMs(2, error, null, policy)).toBe(60_000);
  });

  it('fall back to the default curve when a function returns nonsense', () => {
    expect(retryDelayMs(1, error, null, () => Number.NaN, () => 0)).toBe(16_000);
  });
});
