import type { Redis } from 'ioredis';

import type { LuaScript, ScriptName } from './scripts/index.js';
import { SCRIPTS } from './scripts/index.js';

/**
 * Runs the storage's Lua scripts by hash (EVALSHA). `load()` sends every script once (SCRIPT LOAD);
 * after a Redis restart or SCRIPT FLUSH the cache is empty, so a NOSCRIPT reply loads the script
 * again and repeats the call (a NOSCRIPT reply means the script did not run).
 */
export class ScriptRunner {
  constructor(
    private readonly client: Redis,
    private readonly keyBase: string,
  ) {}

  /** Loads every script into Redis's script cache. */
  async load(): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const s of Object.values(SCRIPTS)) pipeline.script('LOAD', s.text);
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
  }

  /** Runs one script with the key base as its only key and `args` after the time and origin. */
  async run(name: ScriptName, now: number | null, origin: string, args: ReadonlyArray<string | number>): Promise<unknown> {
    const s: LuaScript = SCRIPTS[name];
    // One array, never spread: a batch of thousands of jobs has too many arguments for a call's stack.
    const argv = ([s.sha, 1, this.keyBase, now === null ? '' : now, origin] as Array<string | number>).concat(args);
    try {
      return await this.client.call('EVALSHA', argv);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.client.script('LOAD', s.text);
      return this.client.call('EVALSHA', argv);
    }
  }
}
