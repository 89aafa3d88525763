import { describe, expect, it } from 'vitest';

import { isStorableJson, isStorableText, storableCompletions, storableError, storableJson, storableText } from '@spool/core/storage-kit';
import type { Completion, Json } from '@spool/core';

/** The rule spelled out the slow way, character by character: the fast paths must agree with it. */
function byCodeUnit(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const high = unit >= 0xd800 && unit <= 0xdbff;
    const low = unit >= 0xdc00 && unit <= 0xdfff;
    const next = text.charCodeAt(i + 1);
    if (high && next >= 0xdc00 && next <= 0xdfff) {
      out += text[i]! + text[i + 1]!;
      i++;
    } else if (unit === 0 || high || low) {
      out += '\uFFFD';
    } else {
      out += text[i]!;
    }
  }
  return out;
}

describe('storable text', () => {
  it.each([
    ['a\u0000b', 'a\uFFFDb'],
    ['x\ud800y', 'x\uFFFDy'],
    ['\udfff', '\uFFFD'],
    ['\ud83d', '\uFFFD'],
    ['\udc00\ud83d', '\uFFFD\uFFFD'],
    ['\u0000\u0000', '\uFFFD\uFFFD'],
  ])('replaces NUL and lone surrogates in %j by U+FFFD', (text, stored) => {
    expect(isStorableText(text)).toBe(false);
    expect(storableText(text)).toBe(stored);
  });

  it.each(['', 'plain', 'emoji \u{1F600} pair', '\uFFFD', 'tab\tnewline\n\u0001 control', 'back\\u0000slash'])('keeps %j exactly', (text) => {
    expect(isStorableText(text)).toBe(true);
    expect(storableText(text)).toBe(text);
  });

  it('agrees with the rule spelled out per code unit, for every short mix of hostile and plain units', () => {
    const units = ['a', '\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\u{1F600}'];
    for (const a of units) for (const b of units) for (const c of units) {
      const text = a + b + c;
      expect(storableText(text), JSON.stringify(text)).toBe(byCodeUnit(text));
      expect(isStorableText(text), JSON.stringify(text)).toBe(byCodeUnit(text) === text);
    }
  });

  it('keeps a 1 MB string without copying it, and replaces a NUL at its end', () => {
    const big = 'x'.repeat(1024 * 1024);
    expect(storableText(big)).toBe(big);
    expect(storableText(`${big}\u0000`)).toBe(`${big}\uFFFD`);
  });
});

describe('storable JSON', () => {
  it('replaces in nested values and object keys, and keeps numbers, booleans and null', () => {
    const value: Json = { 'k\u0000': ['a\ud800', { '\udfff': 1, ok: true, none: null }], plain: 'p' };
    expect(isStorableJson(value)).toBe(false);
    expect(storableJson(value)).toEqual({ 'k\uFFFD': ['a\uFFFD', { '\uFFFD': 1, ok: true, none: null }], plain: 'p' });
  });

  it('returns the value itself when nothing needs a change', () => {
    const value: Json = { a: [1, 'two', { three: null }] };
    expect(storableJson(value)).toBe(value);
  });

  it('keeps a "__proto__" key as data', () => {
    const value = JSON.parse('{"__proto__": "a\\u0000"}') as Json;
    const stored = storableJson(value) as Record<string, Json>;
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.keys(stored)).toEqual(['__proto__']);
    expect(stored['__proto__']).toBe('a\uFFFD');
  });
});

describe('storable error records and completions', () => {
  it('replaces in every field of an error record, down its cause chain', () => {
    const error = { name: 'E\u0000', message: 'm\ud800', code: '\udfff', stack: 's', cause: { name: 'C', message: 'c\u0000' } };
    expect(storableError(error)).toEqual({ name: 'E\uFFFD', message: 'm\uFFFD', code: '\uFFFD', stack: 's', cause: { name: 'C', message: 'c\uFFFD' } });
  });

  it('returns the same batch when no completion needs a change, and copies only those that do', () => {
    const plain: Completion = { id: '1', leaseToken: 't', outcome: { state: 'succeeded', result: { ok: true }, reason: 'Done' } };
    const hostile: Completion = { id: '2', leaseToken: 't', outcome: { state: 'failed', error: { name: 'Error', message: 'a\u0000' }, reason: 'Failed' } };
    const batch = [plain];
    expect(storableCompletions(batch)).toBe(batch);
    const stored = storableCompletions([plain, hostile]);
    expect(stored[0]).toBe(plain);
    expect(stored[1]).toEqual({ ...hostile, outcome: { ...hostile.outcome, error: { name: 'Error', message: 'a\uFFFD' } } });
    expect(hostile.outcome).toMatchObject({ error: { message: 'a\u0000' } });
  });
});
