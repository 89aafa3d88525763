import type { Server as HttpServer } from 'node:http';

import { hostExample } from '@spool-examples/web-kit';
import type { Server, ServerOptions, SpoolRuntime, Storage } from 'spool';
import { Spool } from 'spool';

import { mountNightlyCleanup } from './mount.js';
import type { NightlyCleanupMount, NightlyCleanupOptions } from './mount.js';

/** Where the standalone host serves the Spool dashboard. */
export const DASHBOARD_PATH = '/spool';

/** Options of {@link startNightlyCleanup}. */
export interface NightlyCleanupHostOptions extends Omit<NightlyCleanupOptions, 'basePath' | 'dashboardPath'> {
  /** Storage URL or object. Default `'sqlite:./data/spool.db'` (the `spool` CLI's default too). */
  storage?: string | Storage;
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** HTTP host. Default `'127.0.0.1'`. */
  host?: string;
  /** Run a Spool server in this process. Default true; false when `spool worker` runs the jobs. */
  worker?: boolean;
  /** Options of that server; its queues are the example's. */
  server?: Omit<ServerOptions, 'queues'>;
}

/** A running host of the example. */
export interface NightlyCleanupHost {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  spool: Spool;
  mount: NightlyCleanupMount;
  http: HttpServer;
  /** The in-process Spool server, or null with `worker: false`. */
  server: Server | null;
  /** Stops taking requests, stops the server gracefully and closes the storage. */
  close(): Promise<void>;
}

/**
 * Starts the example on its own: its page at `/`, the dashboard at `/spool`, and a Spool server
 * that fires the schedule and runs the cleanup.
 */
export async function startNightlyCleanup(options: NightlyCleanupHostOptions, runtime: SpoolRuntime = {}): Promise<NightlyCleanupHost> {
  const { storage, port, host, worker, server: serverOptions, ...mountOptions } = options;
  const spool = new Spool({ storage: storage ?? 'sqlite:./data/spool.db' }, runtime);
  // Ages are measured on the Spool's clock, the same one that decides when the job fires.
  const clock = runtime.clock;
  const now = clock ? () => clock.now() : undefined;
  const mount = await mountNightlyCleanup(spool, { ...mountOptions, dashboardPath: DASHBOARD_PATH, now });
  const server = worker === false ? null : await spool.startServer({ handleSignals: false, ...serverOptions, queues: mount.queues });
  const hosted = await hostExample(spool, mount, { port, host, dashboardPath: DASHBOARD_PATH });
  return { url: hosted.url, spool, mount, http: hosted.http, server, close: hosted.close };
}
