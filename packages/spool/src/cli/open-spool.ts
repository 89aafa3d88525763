import { existsSync } from 'node:fs';

import type { JobDefinition } from '@spool/core';

import { Spool } from '../spool.js';
import { redactStorageUrl, resolveStorage, storageFilePath } from '../storage-url.js';
import type { ResolveStorageOptions } from '../storage-url.js';
import type { CliIo } from './command.js';
import { CliError } from './command.js';
import type { Flags } from './parse.js';
import { stringFlag } from './parse.js';

/** The storage the CLI uses when neither `--storage` nor `SPOOL_STORAGE` says otherwise. */
export const DEFAULT_STORAGE_URL = 'sqlite:./data/spool.db';

/** The environment variable that names the storage URL. */
export const STORAGE_ENV = 'SPOOL_STORAGE';

/** The environment variable that names the file store URL. */
export const FILES_ENV = 'SPOOL_FILES';

/** The file store URL a command uses: `--files`, else `SPOOL_FILES`, else none. */
export function filesUrl(flags: Flags, io: CliIo): string | undefined {
  const fromEnv = io.env[FILES_ENV];
  return stringFlag(flags, 'files') ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : undefined);
}

/** The storage URL a command uses: `--storage`, else `SPOOL_STORAGE`, else the default. */
export function storageUrl(flags: Flags, io: CliIo): string {
  const fromEnv = io.env[STORAGE_ENV];
  return stringFlag(flags, 'storage') ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : DEFAULT_STORAGE_URL);
}

/**
 * Opens a Spool instance on the command's storage, runs `body` with it, and always closes it.
 * With `mustExist`, a storage file that does not exist is an error instead of a new empty storage:
 * a command that only reads, run from the wrong directory, should say so rather than show zeros.
 */
export async function withSpool<T>(
  flags: Flags,
  io: CliIo,
  body: (spool: Spool) => Promise<T>,
  options: { jobs?: readonly JobDefinition[]; storage?: ResolveStorageOptions; mustExist?: boolean } = {},
): Promise<T> {
  const url = storageUrl(flags, io);
  const file = storageFilePath(url);
  if (options.mustExist && file !== null && !existsSync(file)) {
    throw new CliError(
      'ERR_STORAGE_NOT_FOUND',
      `No storage at ${file} (from ${redactStorageUrl(url)}). Run the command from your application's directory, ` +
        `pass --storage <url> or set ${STORAGE_ENV}; "spool migrate" creates an empty storage.`,
    );
  }
  const storage = resolveStorage(url, {}, options.storage);
  const files = filesUrl(flags, io);
  const spool = new Spool({ storage, jobs: options.jobs ?? [], ...(files !== undefined ? { files } : {}) });
  let result: T;
  try {
    await spool.init();
    result = await body(spool);
  } catch (error) {
    // The command's error is the one to report, not a failure to close afterwards.
    await spool.close().catch(() => undefined);
    throw error;
  }
  await spool.close();
  return result;
}
