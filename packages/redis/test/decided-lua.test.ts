import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobState } from '@spool/core';
import { CLAIM_NOW_INTENT, CONTINUATION_TEXTS, JOB_STATES, PROMOTION_INTENT, RESCUE_TEXTS, allChangeShapes, continuationOutcome, poisonError, uniqueKeyReleasedReason } from '@spool/core';

import { decidedLua } from '../src/scripts/decided.lua.js';
import { REDIS_URL, redisAvailable } from './redis-test-env.js';

// The Lua the scripts follow is generated from core; these run the generated Lua in Redis and compare
// what it answers with what core's TypeScript answers, parts chosen to break a careless generator.
const available = await redisAvailable();
const HOSTILE = ["it's", 'back\\slash', 'line\nbreak', '"quoted"', '@@p1@@', '..', ']]'];

describe.skipIf(!available)('the Lua generated from core decides as core does', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(() => redis.disconnect());

  async function lua<T>(body: string, ...args: string[]): Promise<T> {
    return (await redis.eval(`${decidedLua()}\n${body}`, 0, ...args)) as T;
  }

  it('builds every history and error text as core does, whatever the parts hold', async () => {
    for (const a of HOSTILE) {
      const [b, c] = [`${a}-2`, `${a}-3`];
      const texts = await lua<string[]>(
        `return { TEXT.released(ARGV[1], ARGV[2]), TEXT.cancelled(ARGV[1], ARGV[2], ARGV[3]), TEXT.already_released(ARGV[1], ARGV[2]),
          TEXT.already_cancelled(ARGV[1], ARGV[2], ARGV[3]), TEXT.rescue_returned(ARGV[1]), TEXT.poisoned(ARGV[1]),
          TEXT.key_released(ARGV[1], ARGV[2], ARGV[3]), TEXT.promotion, TEXT.claim_now }`,
        a,
        b,
        c,
      );
      expect(texts).toEqual([
        CONTINUATION_TEXTS.released(a, b),
        CONTINUATION_TEXTS.cancelled(a, b, c),
        CONTINUATION_TEXTS.alreadyReleased(a, b),
        CONTINUATION_TEXTS.alreadyCancelled(a, b, c),
        RESCUE_TEXTS.returned(a),
        RESCUE_TEXTS.poisoned(a),
        uniqueKeyReleasedReason(a, b, c),
        PROMOTION_INTENT.reason,
        CLAIM_NOW_INTENT.reason,
      ]);
    }
    // The poison error's part is the rescue count, a number: the JSON text is exact for it.
    for (const n of ['1', '3', '1000']) expect(await lua<string>('return TEXT.poison_error_json(ARGV[1])', n)).toBe(JSON.stringify(poisonError(Number(n))));
  });

  it('holds the shape core decides for every variant and move, and no other', async () => {
    const table = JSON.parse(await lua<string>('return cjson.encode(SHAPES)')) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    const expected = new Map([...allChangeShapes()].map(([key, shape]) => [key, shape]));
    const found: string[] = [];
    for (const [variant, froms] of Object.entries(table)) {
      for (const [from, tos] of Object.entries(froms)) {
        for (const [to, w] of Object.entries(tos)) {
          const key = `${variant}|${from}>${to}`;
          found.push(key);
          const shape = expected.get(key);
          expect(shape, key).toBeDefined();
          expect({ ...w, series: w.series ?? null, dl: w.dl ?? 'keep' }, key).toEqual({
            fin: shape!.finishedAt,
            run: shape!.runAt,
            exp: shape!.expires,
            att: shape!.attempts,
            res: shape!.rescues,
            prog: shape!.progress,
            result: shape!.result,
            err: shape!.error,
            dl: shape!.deadLetter,
            lease: shape!.lease,
            back: shape!.queuePosition === 'back',
            ukey: shape!.uniqueKey,
            settle: shape!.settleContinuations,
            lim: shape!.limits,
            series: shape!.series,
          });
        }
      }
    }
    expect(found.sort()).toEqual([...expected.keys()].sort());
  });

  it('settles continuations as continuationOutcome does, for every parent state', async () => {
    const table = JSON.parse(await lua<string>('return cjson.encode(CONTINUATIONS)')) as Record<JobState, Record<string, string>>;
    for (const state of JOB_STATES) {
      for (const on of ['succeeded', 'failed', 'finished'] as const) expect(table[state][on], `${state}/${on}`).toBe(continuationOutcome(state, on));
    }
  });
});
