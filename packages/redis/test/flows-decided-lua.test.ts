import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DependencyParentKind, JobState } from '@spool/core';
import { DEPENDENCY_POLICIES, JOB_STATES, STATE_FACTS, batchCountsDelta, batchFinishes, causeVariant, dependencyIntent } from '@spool/core';

import { flowsDecidedLua } from '../src/scripts/flows-decided.lua.js';
import { REDIS_URL, redisAvailable } from './redis-test-env.js';

// The batch and flow rules the scripts follow are generated from core; these run the generated Lua
// in Redis and compare its answers with core's, with ids chosen to break a careless generator.
const available = await redisAvailable();
const HOSTILE_IDS = ['01a251a0-29f3-7000-831a-40d397fb7553', "it's", 'back\\slash', '"quoted"', '@@p1@@', 'line\nbreak'];

describe.skipIf(!available)('the batch and flow Lua generated from core decides as core does', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(() => redis.disconnect());

  async function lua<T>(body: string, ...args: string[]): Promise<T> {
    return (await redis.eval(`${flowsDecidedLua()}\nlocal R = flow_rules()\n${body}`, 0, ...args)) as T;
  }

  it("adds to a batch what core's batchCountsDelta says for every move, and nothing for the others", async () => {
    const table = JSON.parse(await lua<string>('return cjson.encode(R.BATCH_DELTA)')) as Record<string, Record<string, { f: number; s: number; x: number }>>;
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        const delta = batchCountsDelta(from, to);
        const w = table[from]?.[to];
        expect(w === undefined ? null : { finished: w.f, succeeded: w.s, failed: w.x }, `${from} -> ${to}`).toEqual(delta);
      }
    }
  });

  it('finishes a batch exactly when batchFinishes does, as it does', async () => {
    for (const total of [0, 1, 3]) {
      for (let finished = 0; finished <= total + 1; finished++) {
        for (let failed = 0; failed <= finished; failed++) {
          for (const finishedAt of [null, 1_000]) {
            const expected = batchFinishes({ total, finished, failed, succeeded: finished - failed, finishedAt });
            const found = await lua<[string, number, number, number] | null>(
              "local r = R.batch_finish(tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]) if r == nil then return nil end return { r.state, r.f, r.s, r.x }",
              String(total),
              String(finished),
              String(failed),
              finishedAt === null ? '' : String(finishedAt),
            );
            const key = `total ${total}, finished ${finished}, failed ${failed}, finishedAt ${finishedAt}`;
            if (expected === null) expect(found, key).toBeNull();
            else expect(found, key).toEqual([expected.state, expected.parentDelta.finished, expected.parentDelta.succeeded, expected.parentDelta.failed]);
          }
        }
      }
    }
  });

  it("settles an edge as core's dependencyIntent does: state, cause, reason, error and data", async () => {
    const finals = JOB_STATES.filter((s) => STATE_FACTS[s].finished);
    for (const id of HOSTILE_IDS) {
      for (const kind of ['job', 'batch'] as DependencyParentKind[]) {
        for (const state of finals) {
          for (const policy of DEPENDENCY_POLICIES) {
            for (const pendingAfter of [0, 1]) {
              const intent = dependencyIntent(kind, id, state, policy, pendingAfter);
              const found = await lua<[string, string, string, string, string] | null>(
                `local d = R.DEPENDS[ARGV[3]][ARGV[4]][ARGV[5] == '0']
                 if not d then return nil end
                 local inner = string.sub(cjson.encode(ARGV[2]), 2, -2)
                 return { d.to, d.variant, R.DEP_TEXT[d.text](ARGV[1], ARGV[2], ARGV[3]), d.err and R.DEP_ERROR_JSON(ARGV[1], inner, ARGV[3]) or '', R.DEP_DATA_JSON(ARGV[1], inner) }`,
                kind,
                id,
                state,
                policy,
                String(pendingAfter),
              );
              const key = `${kind} ${id} ${state} ${policy} ${pendingAfter}`;
              if (intent === null) {
                expect(found, key).toBeNull();
                continue;
              }
              const error = intent.cause.kind === 'parent' ? intent.cause.error : undefined;
              expect(found?.slice(0, 3), key).toEqual([intent.to, causeVariant(intent.cause), intent.reason]);
              expect(found![3] === '' ? undefined : JSON.parse(found![3]), key).toEqual(error);
              expect(JSON.parse(found![4]), key).toEqual(intent.data);
            }
          }
        }
      }
    }
  });

  it('names only final parent states: a parent settles its edges when it finishes', async () => {
    const states = (await lua<string[]>('local out = {} for state in pairs(R.DEPENDS) do out[#out + 1] = state end table.sort(out) return out')) as JobState[];
    expect(states).toEqual(JOB_STATES.filter((s) => STATE_FACTS[s].finished).sort());
  });
});
