import type { Server as HttpServer } from 'node:http';

import type { ExampleMount } from '@spool-examples/web-kit';
import { hostExample } from '@spool-examples/web-kit';
import type { FileStore, Server, Storage } from 'spool';
import { Spool } from 'spool';

import type { DocumentExportOptions } from './mount.js';
import { mountDocumentExport } from './mount.js';

/** Options of {@link startDocumentExport}. */
export interface StartDocumentExportOptions extends Omit<DocumentExportOptions, 'basePath' | 'files'> {
  /** Storage URL or object. Default `'sqlite:./data/spool.db'` (the `spool` CLI's default too). */
  storage?: string | Storage;
  /** The file store every process shares: a URL (`s3://…`, `file:…`) or an object. Default: the folder `storeDir`. */
  files?: string | FileStore;
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** HTTP host. Default `'127.0.0.1'`. */
  host?: string;
  /** Run conversions in this process. Default true; false when `spool worker` runs them. */
  worker?: boolean;
  /** Conversions run at once in this process. Default 2: they are CPU work, not waiting. */
  concurrency?: number;
}

/** A running document export service. */
export interface RunningDocumentExport {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  spool: Spool;
  http: HttpServer;
  mount: ExampleMount;
  /** The in-process Spool server, or null with `worker: false`. */
  server: Server | null;
  /** Stops taking requests, lets running conversions finish, and closes the storage. */
  close(): Promise<void>;
}

/** Starts the document export on its own: the example mounted at `/` of a node:http server. */
export async function startDocumentExport(options: StartDocumentExportOptions): Promise<RunningDocumentExport> {
  const { storage, files, port, host, worker, concurrency, ...exportOptions } = options;
  const spool = new Spool({ storage: storage ?? 'sqlite:./data/spool.db', ...(files !== undefined ? { files } : {}) });
  await spool.init();
  const mount = await mountDocumentExport(spool, { ...exportOptions, basePath: '' });
  const server = worker === false ? null : await spool.startServer({ queues: mount.queues, concurrency: concurrency ?? 2, handleSignals: false });
  const hosted = await hostExample(spool, mount, { port, host });
  return { url: hosted.url, spool, http: hosted.http, mount, server, close: hosted.close };
}
