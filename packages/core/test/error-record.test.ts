import { describe, expect, it } from 'vitest';

import { toErrorRecord } from '@spool/core';
import { isStorableText } from '@spool/core/storage-kit';

describe('error records', () => {
  it('cuts a long message without splitting a surrogate pair', () => {
    // 3,999 units, then an emoji across the 4,000-unit limit.
    const record = toErrorRecord(new Error(`${'x'.repeat(3_999)}\u{1F600}${'y'.repeat(100)}`));
    expect(record.message).toBe(`${'x'.repeat(3_999)}...`);
    expect(isStorableText(record.message)).toBe(true);
  });

  it('keeps a pair that ends exactly at the limit', () => {
    const record = toErrorRecord(new Error(`${'x'.repeat(3_998)}\u{1F600}${'y'.repeat(100)}`));
    expect(record.message).toBe(`${'x'.repeat(3_998)}\u{1F600}...`);
  });
});
