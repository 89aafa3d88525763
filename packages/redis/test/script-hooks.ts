import { Redis } from 'ioredis';
import { afterEach } from 'vitest';

import { ManualClock, UuidV7Generator } from '@spool/core';
import { newJobRecord } from '@spool/conformance';
import { RedisStorage } from '@spool/redis';

import { SCRIPTS } from '../src/scripts/index.js';
import type { ScriptName } from '../src/scripts/index.js';
import { REDIS_URL, dropPrefix, freshPrefix } from './redis-test-env.js';

/** The time the manual clock of a fresh storage starts at. */
export const START = Date.UTC(2030, 0, 1, 12, 30);
const SCRIPT_BY_SHA = new Map(Object.entries(SCRIPTS).map(([name, s]) => [s.sha, name as ScriptName]));

/**
 * Storages whose client records the scripts it runs and their replies, and may run a step just
 * before a given script: a write from elsewhere between a storage's read and its write. Each test's
 * storages and keys are removed after it.
 */
export function useScriptHooks(label: string) {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  /** A storage on a client that records the scripts it runs, and may run a step before a given script. */
  async function open(prefix: string, clock: ManualClock) {
    const client = new Redis(REDIS_URL);
    const ran: ScriptName[] = [];
    const replies: Array<[ScriptName, unknown]> = [];
    const before = new Map<ScriptName, () => Promise<void>>();
    const call = client.call.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { call: (...args: unknown[]) => Promise<unknown> }).call = async (...args: unknown[]) => {
      const argv = args[1] as unknown[] | undefined;
      const name = args[0] === 'EVALSHA' && Array.isArray(argv) ? SCRIPT_BY_SHA.get(argv[0] as string) : undefined;
      if (name === undefined) return call(...args);
      ran.push(name);
      const step = before.get(name);
      if (step) {
        before.delete(name);
        await step();
      }
      const reply = await call(...args);
      replies.push([name, reply]);
      return reply;
    };
    const storage = new RedisStorage({ client, prefix }, { clock });
    await storage.init();
    cleanups.push(async () => {
      await storage.close();
      client.disconnect();
    });
    return { storage, ran, replies, before };
  }

  /** A storage under a fresh prefix, with a manual clock, ids, and a plain client on the same Redis. */
  async function fresh() {
    const prefix = freshPrefix(label);
    const admin = new Redis(REDIS_URL);
    cleanups.push(async () => {
      await dropPrefix(admin, prefix);
      admin.disconnect();
    });
    const clock = new ManualClock(START);
    return { prefix, admin, clock, ids: new UuidV7Generator(clock), ...(await open(prefix, clock)) };
  }

  return { open, fresh };
}

/** A new enqueued job of the name `test.job`, with `overrides` (the conformance suite's defaults). */
export const job = newJobRecord;
