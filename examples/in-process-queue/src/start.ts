import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  const dashboard = spool.dashboard({ basePath: DASHBOARD_PATH });
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`)) return dashboard(req, res);
    void mount.handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port ?? 3000, host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const hostName = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${hostName}:${address.port}`,
    spool,
    mount,
    http,
    server,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        await mount.close();
        http.closeAllConnections();
        await stopped;
        await spool.close();
      })();
      return closing;
    },
  };
}
