import type { Server as HttpServer } from 'node:http';

import { hostExample } from '@spool-examples/web-kit';
import type { Duration, Server, SpoolRuntime, Storage } from 'spool';
import { Spool } from 'spool';

import { leaseTimings } from './host-settings.js';
import { mountInProcessQueue } from './mount.js';
import type { InProcessQueueMount, InProcessQueueOptions } from './mount.js';

/** Where the standalone host serves the Spool dashboard. */
export const DASHBOARD_PATH = '/spool';

/** Options of {@link startInProcessQueue}. */
export interface InProcessQueueHostOptions extends Omit<InProcessQueueOptions, 'basePath' | 'dashboardPath'> {
  /** Storage URL or object. Default `'sqlite:./data/spool.db'` (the `spool` CLI's default too). */
  storage?: string | Storage;
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** HTTP host. Default `'127.0.0.1'`. */
  host?: string;
  /** Spool jobs run at once. Default: as many as the in-memory consumers, for a fair comparison. */
  concurrency?: number;
  /** How long a running job stays claimed without renewal before it is rescued. Default `'30s'`. */
  leaseTime?: Duration;
  /** Run the Spool server in this process. Default true; false when `spool worker` runs the jobs. */
  worker?: boolean;
}

/** A running host of the example. */
export interface InProcessQueueHost {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  spool: Spool;
  mount: InProcessQueueMount;
  http: HttpServer;
  /** The in-process Spool server, or null with `worker: false`. */
  server: Server | null;
  /** Stops taking requests, drains the in-memory queue (bounded), stops the server and closes the storage. */
  close(): Promise<void>;
}

/** Starts the example on its own: the page and API at `/`, the dashboard at `/spool`, a Spool server. */
export async function startInProcessQueue(options: InProcessQueueHostOptions = {}, runtime: SpoolRuntime = {}): Promise<InProcessQueueHost> {
  const { storage, port, host, concurrency, leaseTime, worker, ...mountOptions } = options;
  const spool = new Spool({ storage: storage ?? 'sqlite:./data/spool.db' }, runtime);
  const mount = await mountInProcessQueue(spool, { ...mountOptions, dashboardPath: DASHBOARD_PATH });
  const server =
    worker === false
      ? null
      : await spool.startServer({ queues: mount.queues, concurrency: concurrency ?? mountOptions.consumers ?? 2, handleSignals: false, ...leaseTimings(leaseTime ?? '30s') });
  const hosted = await hostExample(spool, mount, { port, host, dashboardPath: DASHBOARD_PATH });
  return { url: hosted.url, spool, mount, http: hosted.http, server, close: hosted.close };
}
