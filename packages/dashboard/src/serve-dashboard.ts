import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Spool } from '@spool/core';

import type { DashboardOptions } from './dashboard-options.js';
import { createDashboard } from './create-dashboard.js';

/** Options of {@link serveDashboard}. */
export interface ServeDashboardOptions extends Omit<DashboardOptions, 'basePath'> {
  /** Port to listen on; 0 picks a free one. Default 3000. */
  port?: number;
  /** Address to listen on. Default '127.0.0.1' (the dashboard answers only local requests by default anyway). */
  host?: string;
}

/** A running standalone dashboard. */
export interface RunningDashboard {
  /** The URL it answers on. */
  url: string;
  /** Stops listening (does not close the Spool instance). */
  close(): Promise<void>;
}

/** Serves the dashboard on its own HTTP server, as `spool dashboard --port 3000` does. */
export async function serveDashboard(spool: Spool, options: ServeDashboardOptions = {}): Promise<RunningDashboard> {
  const { port = 3000, host = '127.0.0.1', ...dashboardOptions } = options;
  await spool.init();
  const handler = createDashboard(spool, dashboardOptions);
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
