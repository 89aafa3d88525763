import { describe, expect, it } from 'vitest';
import { ManualClock, UuidV7Generator, isUuid } from '@spool/core';

describe('UUIDv7 ids', () => {
  it('are version 7, variant 10, and carry the millisecond time', () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const id = new UuidV7Generator(clock).next();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(clock.now());
  });

  it('sort in creation order, also within one millisecond and when the clock steps back', () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const generator = new UuidV7Generator(clock);
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) ids.push(generator.next());
    clock.advance(-5);
    ids.push(generator.next());
    clock.advance(10);
    ids.push(generator.next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
