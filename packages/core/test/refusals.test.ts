import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage, Spool, defineJob } from '@spool/core';
import { BY_NAME } from './helpers.js';

let spool: Spool;

afterEach(async () => {
  await spool?.close();
});

function make(): Spool {
  spool = new Spool({ storage: new MemoryStorage() });
  return spool;
}

/** The rejection of a promise, or null when it resolves. */
async function refusal(promise: Promise<unknown>): Promise<{ code?: unknown; message?: unknown } | null> {
  return promise.then(
    () => null,
    (error: { code?: unknown; message?: unknown }) => error,
  );
}

describe('arguments JSON would change or cannot hold are refused with ERR_INVALID_ARGS, and nothing is stored', () => {
  const deep = (): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < 20_000; i++) value = { next: value };
    return value;
  };
  const cases: Array<[string, () => unknown, string]> = [
    ['20,000 levels deep', deep, 'deeper than'],
    ['a Proxy', () => ({ user: new Proxy({ name: 'ann' }, {}) }), 'Proxy'],
    ['a sparse array', () => ({ list: [1, , 3] }), 'sparse'], // eslint-disable-line no-sparse-arrays
    ['a symbol key', () => ({ [Symbol('secret')]: 1, visible: 2 }), 'symbol key'],
    ['-0', () => ({ delta: -0 }), '-0'],
    [
      'a getter that throws',
      () =>
        Object.defineProperty({}, 'boom', {
          enumerable: true,
          get() {
            throw new Error('cannot read me');
          },
        }),
      'cannot read me',
    ],
  ];
  for (const [label, value, says] of cases) {
    it(label, async () => {
      const client = make();
      const error = await refusal(client.enqueue('any.job', value(), BY_NAME));
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGS' });
      expect(String(error!.message)).toContain(says);
      expect((await client.stats()).states.enqueued).toBe(0);
    });
  }

  it('still takes plain nested JSON', async () => {
    const client = make();
    const id = await client.enqueue('any.job', { a: [1, { b: null }, 'c'], n: 0, nested: { deep: { er: true } } }, BY_NAME);
    expect((await client.getJob(id))?.args).toEqual({ a: [1, { b: null }, 'c'], n: 0, nested: { deep: { er: true } } });
  });
});

describe('options that would be changed silently are refused', () => {
  it('one uniqueKey for several jobs of enqueueMany', async () => {
    const client = make();
    const error = await refusal(client.enqueueMany('any.job', [{ n: 1 }, { n: 2 }, { n: 3 }], { ...BY_NAME, uniqueKey: 'one' }));
    expect(error).toMatchObject({ code: 'ERR_CONFIG' });
    expect((await client.stats()).states.enqueued).toBe(0);
    expect(await client.enqueueMany('any.job', [{ n: 1 }], { ...BY_NAME, uniqueKey: 'one' })).toHaveLength(1);
  });

  it('a date that does not exist, instead of the day after', async () => {
    const client = make();
    const job = defineJob('later', () => null);
    for (const at of ['2024-02-30', '2025-02-29T10:00:00Z', '2026-13-01', '2026-04-31T00:00:00Z', 'next tuesday']) {
      expect(await refusal(client.schedule(job, null, { at: at as unknown as Date })), at).toMatchObject({ code: 'ERR_CONFIG' });
    }
    const id = await client.schedule(job, null, { at: '2028-02-29T10:00:00Z' as unknown as Date });
    expect((await client.getJob(id))?.runAt?.toISOString()).toBe('2028-02-29T10:00:00.000Z');
  });

  it('schedule rejects instead of throwing', async () => {
    const client = make();
    const job = defineJob('later', () => null);
    const result = client.schedule(job, null, {} as never);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});
