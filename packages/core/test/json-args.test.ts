import { describe, expect, it } from 'vitest';
import { ArgsTooLargeError, InvalidArgsError, MemoryStorage, Spool, defineJob, toJsonArgs } from '@spool/core';

describe('job arguments', () => {
  it('accepts plain JSON and treats missing arguments as null', () => {
    expect(toJsonArgs({ a: [1, 'x', true, null, { b: 2 }] }, 1024)).toEqual({ a: [1, 'x', true, null, { b: 2 }] });
    expect(toJsonArgs(undefined, 1024)).toBeNull();
  });

  it.each([
    ['a function', { f: () => 1 }, 'args.f'],
    ['a BigInt', { n: 10n }, 'args.n'],
    ['a Date', { at: new Date() }, 'args.at'],
    ['a Map', { m: new Map() }, 'args.m'],
    ['a class instance', { c: new (class Point {})() }, 'args.c'],
    ['NaN', [Number.NaN], 'args[0]'],
    ['undefined inside an array', [undefined], 'args[0]'],
  ])('rejects %s with a typed error naming the path', (_label, value, path) => {
    try {
      toJsonArgs(value, 1024);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgsError);
      expect((error as InvalidArgsError).code).toBe('ERR_INVALID_ARGS');
      expect((error as InvalidArgsError).path).toBe(path);
    }
  });

  it('rejects a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => toJsonArgs(a, 1024)).toThrow(/cycle/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(toJsonArgs({ a: shared, b: shared }, 1024)).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it('rejects arguments over the size limit at enqueue, and nothing is stored', async () => {
    const job = defineJob('big', () => undefined);
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [job], maxArgsBytes: 1000 });
    await expect(spool.enqueue(job, { text: 'x'.repeat(2000) })).rejects.toBeInstanceOf(ArgsTooLargeError);
    await expect(spool.enqueue(job, { fn: () => 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGS' });
    expect((await spool.stats()).states.enqueued).toBe(0);
    await spool.close();
  });

  it('measures the limit in UTF-8 bytes', () => {
    expect(() => toJsonArgs('é'.repeat(600), 1000)).toThrow(ArgsTooLargeError);
  });
});
