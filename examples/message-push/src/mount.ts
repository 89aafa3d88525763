import type { ExampleMount } from '@spool-examples/web-kit';
import type { Duration, Spool } from 'spool';

import { createHandler } from './app.js';
import { DeviceDirectory } from './device-directory.js';
import { definePushJob, PUSH_QUEUE } from './push-job.js';
import { SimulatedPushProvider } from './push-provider.js';

/** Options of {@link mountMessagePush}. */
export interface MessagePushMountOptions {
  /** The path the API is mounted under, e.g. `'/push'`. */
  basePath: string;
  /** Share of simulated pushes that fail, 0 to 1. Default 0.2. */
  failureRate?: number;
  /** Delay before a failed push is retried. Default `'2s'`. */
  retryDelay?: Duration;
  /** Where the host serves the Spool dashboard, for links from the pages. Default: no links. */
  dashboardPath?: string | null;
}

/**
 * Adds the message-push Web API and its `messages.push` job to an app that hosts several examples
 * on one Spool: defines the job on `spool` and returns the request handler. Its jobs run on the
 * `push` queue.
 */
export async function mountMessagePush(spool: Spool, options: MessagePushMountOptions): Promise<ExampleMount & { provider: SimulatedPushProvider }> {
  const directory = DeviceDirectory.demo();
  const provider = new SimulatedPushProvider({ failureRate: options.failureRate ?? 0.2 });
  spool.define(definePushJob({ directory, provider, retryDelay: options.retryDelay }));
  return {
    handle: createHandler(spool, { directory, basePath: options.basePath, dashboardPath: options.dashboardPath }),
    queues: [PUSH_QUEUE],
    provider,
    close: async () => undefined,
  };
}
