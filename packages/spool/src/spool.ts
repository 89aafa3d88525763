import type { SpoolOptions as CoreSpoolOptions, FileStore, SpoolRuntime, Storage } from '@spool/core';
import { Spool as CoreSpool } from '@spool/core';
import type { DashboardHandler, DashboardOptions } from '@spool/dashboard';
import { createDashboard } from '@spool/dashboard';

import { resolveFileStore } from './file-store-url.js';
import { resolveStorage } from './storage-url.js';

/** Options of a Spool instance: core's options, with `storage` and `files` also given as URLs. */
export interface SpoolOptions extends Omit<CoreSpoolOptions, 'storage' | 'files'> {
  /**
   * Where jobs are stored: a storage object, or a URL such as `'sqlite:./data/spool.db'` or
   * `'memory:'` (see {@link resolveStorage}).
   */
  storage: Storage | string;
  /**
   * Where large arguments and results are stored by reference: a file store, or a URL such as
   * `'file:./data/files'` or `'s3://bucket/prefix?endpoint=...'` (see {@link resolveFileStore}).
   * Default: none.
   */
  files?: FileStore | string;
}

/**
 * Spool's client and entry point (see `@spool/core`'s `Spool`), whose `storage` option also accepts
 * a storage URL.
 *
 * ```ts
 * const spool = new Spool({ storage: 'sqlite:./data/spool.db', jobs: [sendMessage] });
 * ```
 */
export class Spool extends CoreSpool {
  constructor(options: SpoolOptions, runtime: SpoolRuntime = {}) {
    const storage = typeof options?.storage === 'string' ? resolveStorage(options.storage, { clock: runtime.clock }) : options?.storage;
    const files = options?.files === undefined ? {} : { files: resolveFileStore(options.files) };
    super({ ...options, storage, ...files } as CoreSpoolOptions, runtime);
  }

  /**
   * The dashboard as a Node request handler, for node:http, Express, Fastify or Hono:
   * `app.use('/spool', spool.dashboard({ authorize: (req) => isAdmin(req) }))`. Local requests only
   * until `authorize` says otherwise.
   */
  dashboard(options?: DashboardOptions): DashboardHandler {
    return createDashboard(this, options);
  }
}
