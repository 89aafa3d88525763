import type { Server as HttpServer } from 'node:http';

import { hostExample } from '@spool-examples/web-kit';
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
  // A burst opens many connections at once: the host listens with a deep accept queue for them.
  const hosted = await hostExample(spool, push, { port: options.port, host: options.host });
  return { url: hosted.url, spool, http: hosted.http, server, provider: push.provider, close: hosted.close };
}
