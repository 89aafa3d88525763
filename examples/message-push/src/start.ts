import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:http';

import type { Duration, Server, Storage } from 'spool';
import { Spool } from 'spool';

import { mountMessagePush } from './mount.js';
import type { SimulatedPushProvider } from './push-provider.js';

/** Options of {@link startMessagePush}. */
export interface MessagePushOptions {
  /** Storage URL or object. Default `'sqlite:./data/spool.db'` (the `spool` CLI's default too). */
  storage?: string | Storage;
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** HTTP host. Default `'127.0.0.1'`. */
  host?: string;
  /** Share of simulated pushes that fail, 0 to 1. Default 0.2. */
  failureRate?: number;
  /** Delay before a failed push is retried. Default `'2s'`. */
  retryDelay?: Duration;
  /** Push jobs run at once. Pushes wait on the network, not the CPU, so many can run together. Default 200. */
  concurrency?: number;
  /** Run the Spool server in this process. Default true; false when `spool worker` runs the jobs. */
  worker?: boolean;
}

/** A running message-push service. */
export interface MessagePush {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  spool: Spool;
  http: HttpServer;
  /** The in-process Spool server, or null with `worker: false`. */
  server: Server | null;
  provider: SimulatedPushProvider;
  /** Stops taking requests, stops the server gracefully and closes the storage. */
  close(): Promise<void>;
}

/** Starts the message-push service: the Web API and, by default, a Spool server for its jobs. */
export async function startMessagePush(options: MessagePushOptions = {}): Promise<MessagePush> {
  const spool = new Spool({ storage: options.storage ?? 'sqlite:./data/spool.db' });
  const push = await mountMessagePush(spool, { basePath: '', failureRate: options.failureRate, retryDelay: options.retryDelay });
  await spool.init();
  const server =
    options.worker === false
      ? null
      : await spool.startServer({ queues: push.queues, concurrency: options.concurrency ?? 200, handleSignals: false });
  const http = createServer(push.handle);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A burst opens many connections at once: a deeper accept queue than Node's default of 511 keeps
    // them from waiting on TCP's one-second retransmission of a dropped connection request.
    http.listen({ port: options.port ?? 3000, host: options.host ?? '127.0.0.1', backlog: 4096 }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    spool,
    http,
    server,
    provider: push.provider,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeIdleConnections();
        });
        await spool.close();
      })();
      return closing;
    },
  };
}
