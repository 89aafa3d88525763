import { Redis } from 'ioredis';
import { afterEach } from 'vitest';

import { ManualClock, Spool, UuidV7Generator } from '@spool/core';
import { newJobRecord } from '@spool/conformance';
import { RedisStorage } from '@spool/redis';

import { SCRIPTS } from '../src/scripts/index.js';
import type { ScriptName } from '../src/scripts/index.js';
import { REDIS_URL, dropPrefix, freshPrefix } from './redis-test-env.js';

/** The time the manual clock of a fresh storage starts at. */
export const START = Date.UTC(2030, 0, 1, 12, 30);
const SCRIPT_BY_SHA = new Map(Object.entries(SCRIPTS).map(([name, s]) => [s.sha, name as ScriptName]));

/**
 * Makes every script this client runs go through `around`: the script's name (by its hash), its
 * arguments (`EVALSHA sha numkeys ...keys ...args`), and `run`, which sends it. `around` may record
 * it, run a step before it, or throw instead of running it, as a lost connection would.
 */
export function interceptScripts(client: Redis, around: (name: ScriptName | undefined, argv: unknown[], run: () => Promise<unknown>) => Promise<unknown>): void {
  const call = client.call.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { call: (...args: unknown[]) => Promise<unknown> }).call = (...args: unknown[]) => {
    const argv = args[1];
    if (args[0] !== 'EVALSHA' || !Array.isArray(argv)) return call(...args);
    return around(SCRIPT_BY_SHA.get(argv[0] as string), argv, () => call(...args));
  };
}

/**
 * A Spool on a client of its own whose scripts go through `around` (see {@link interceptScripts}),
 * under a fresh prefix; closed, and its keys dropped, by `cleanups`.
 */
export function hookedSpool(label: string, around: Parameters<typeof interceptScripts>[1], cleanups: Array<() => Promise<void>>): { spool: Spool; storage: RedisStorage } {
  const prefix = freshPrefix(label);
  const client = new Redis(REDIS_URL);
  interceptScripts(client, around);
  const storage = new RedisStorage({ client, prefix });
  const spool = new Spool({ storage });
  cleanups.push(async () => {
    await spool.close();
    await dropPrefix(client, prefix);
    client.disconnect();
  });
  return { spool, storage };
}

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
    interceptScripts(client, async (name, _argv, run) => {
      if (name === undefined) return run();
      ran.push(name);
      const step = before.get(name);
      if (step) {
        before.delete(name);
        await step();
      }
      const reply = await run();
      replies.push([name, reply]);
      return reply;
    });
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
