import { exitWith } from '@spool-examples/web-kit';

import type { ShowcaseOptions } from './showcase.js';

/** A setting from the environment that cannot be used. */
export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

/**
 * The showcase's settings from the environment:
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1)
 * - `SPOOL_STORAGE` (default `sqlite:./data/spool.db`), `DATA_DIR` (default `./data`)
 * - `WORKER=off`: only the web part; worker processes (`worker.js`) run the jobs
 * - `PUSH_FAILURE_RATE` (default 0.2), `CLEANUP_TIMEZONE` (default Europe/Berlin)
 */
export function showcaseSettingsFromEnv(env: NodeJS.ProcessEnv): ShowcaseOptions {
  const port = Number(env.PORT || 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SettingError(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  const failureRate = Number(env.PUSH_FAILURE_RATE || 0.2);
  if (!(failureRate >= 0 && failureRate <= 1)) throw new SettingError(`PUSH_FAILURE_RATE must be between 0 and 1, got ${JSON.stringify(env.PUSH_FAILURE_RATE)}`);
  if (env.WORKER !== undefined && env.WORKER !== 'off' && env.WORKER !== 'on') throw new SettingError(`WORKER must be "on" or "off", got ${JSON.stringify(env.WORKER)}`);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    storage: env.SPOOL_STORAGE || 'sqlite:./data/spool.db',
    dataDir: env.DATA_DIR || './data',
    worker: env.WORKER !== 'off',
    pushFailureRate: failureRate,
    cleanupTimezone: env.CLEANUP_TIMEZONE || undefined,
  };
}

/** The settings from `process.env`, or an exit with the problem when one cannot be used. */
export function settingsOrExit(program: string): ShowcaseOptions {
  try {
    return showcaseSettingsFromEnv(process.env);
  } catch (error) {
    return exitWith(program, error);
  }
}
