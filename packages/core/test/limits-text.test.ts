import { describe, expect, it } from 'vitest';

import { ConfigError, limitsAsText, limitsFromText, resolveLimits, scopeFromText } from '@spool/core';
import type { LimitsTextLabels } from '@spool/core';

const LABELS: LimitsTextLabels = { concurrency: 'c', rate: 'r', perKeyConcurrency: 'kc', perKeyRate: 'kr', onLocked: 'ol', maxSize: 'm' };

function problems(run: () => unknown): ReadonlyArray<{ path: string; message: string }> {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('limits as typed by an operator', () => {
  it('reads every field, ignoring blanks', () => {
    expect(limitsFromText({ concurrency: ' 5 ', rate: '50/1s', perKeyConcurrency: '1', perKeyRate: '', onLocked: 'skip', maxSize: '100' }, LABELS)).toEqual({
      concurrency: 5,
      rate: { limit: 50, per: '1s' },
      maxSize: 100,
      perKey: { concurrency: 1, onLocked: 'skip' },
    });
    expect(limitsFromText({ concurrency: '', rate: '  ', onLocked: 'wait' }, LABELS)).toEqual({});
  });

  it('reports every malformed field at once, by the label it was typed under', () => {
    expect(problems(() => limitsFromText({ concurrency: 'two', rate: 'fast', perKeyRate: '5 per s', onLocked: 'maybe', maxSize: '-1' }, LABELS)).map((p) => p.path)).toEqual([
      'c',
      'm',
      'r',
      'kr',
      'ol',
    ]);
  });

  it('leaves meaning to resolveLimits: skip without a per-key concurrency is refused there', () => {
    const option = limitsFromText({ onLocked: 'skip', concurrency: '2' }, LABELS);
    expect(problems(() => resolveLimits(option, 'limits')).map((p) => p.message)).toContainEqual(expect.stringContaining("'skip' needs perKey.concurrency"));
  });

  it('writes stored limits back as the same texts', () => {
    const stored = resolveLimits(limitsFromText({ concurrency: '3', rate: '100/1m', perKeyConcurrency: '1', perKeyRate: '2/90s', onLocked: 'skip', maxSize: '7' }, LABELS), 'limits');
    const text = limitsAsText(stored);
    expect(text).toEqual({ concurrency: '3', rate: '100/1m', perKeyConcurrency: '1', perKeyRate: '2/90s', onLocked: 'skip', maxSize: '7' });
    expect(resolveLimits(limitsFromText(text, LABELS), 'limits')).toEqual(stored);
    expect(limitsAsText(null)).toEqual({ concurrency: '', rate: '', perKeyConcurrency: '', perKeyRate: '', onLocked: 'wait', maxSize: '' });
  });

  it('reads a scope as queue:<name> or job:<name> only', () => {
    expect(scopeFromText('queue:mail', 's')).toEqual({ queue: 'mail' });
    expect(scopeFromText('job:a:b', 's')).toEqual({ job: 'a:b' });
    for (const bad of ['mail', 'queue:', ':x', 'tenant:x']) expect(problems(() => scopeFromText(bad, 's'))[0]!.path).toBe('s');
  });
});
