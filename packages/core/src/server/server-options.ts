import { availableParallelism } from 'node:os';

import { ConfigError } from '../errors.js';
import type { Duration } from '../options/duration.js';
import { resolveOptions } from '../options/resolve.js';
import type { Logger } from './logger.js';
import { checkLogger } from './logger.js';

/** Options of a server. Every duration accepts milliseconds or a string such as `'30s'`. */
export interface ServerOptions {
  /** Queues to serve, highest priority first. Default `['default']`. */
  queues?: string[];
  /** Jobs run at once. Default 10. */
  concurrency?: number;
  /**
   * Most jobs claimed ahead of free slots, so that short jobs are claimed many per round trip. The
   * server holds only as many as it expects to start within about 25 ms (none for long jobs), and
   * returns unstarted ones at stop. 0 turns it off. Default: 500 or 4 × concurrency, whichever is
   * larger (the 25 ms horizon, not this cap, keeps the buffer small for jobs that take time).
   */
  prefetch?: number;
  /** How long a fetched job is owned before another server may rescue it. Default `'30s'`. */
  leaseTime?: Duration;
  /** How often the leases of running jobs are renewed. Default `'10s'`. */
  leaseRenewInterval?: Duration;
  /** How often storages without wake-up events are polled for new jobs. Default `'1s'`. */
  pollInterval?: Duration;
  /** How long `stop()` waits for running jobs before aborting them and returning them to the queue. Default `'15s'`. */
  shutdownTimeout?: Duration;
  /**
   * How long a stopping server keeps trying to write outcomes and logs once its jobs have ended (a
   * storage outage). Outcomes still unwritten then are left to lease rescue, and the server reports
   * how many (an `ERR_OUTCOMES_UNRECORDED` error event and the `stopped` event). Default `'10s'`.
   */
  flushTimeout?: Duration;
  /** How often the server announces itself. Default `'10s'`. */
  heartbeatInterval?: Duration;
  /** A server silent this long is removed as dead. Default `'1m'`. */
  serverTimeout?: Duration;
  /** How often expired leases are looked for. Default `'5s'`. */
  rescueInterval?: Duration;
  /** Rescues after which a job is failed as a poison pill. Default 3. */
  maxRescues?: number;
  /** How often due recurring jobs are looked for. Default `'1s'`. */
  recurringPollInterval?: Duration;
  /** How often expired jobs are removed. Default `'1m'`. */
  expirationInterval?: Duration;
  /** Jobs removed per expiration batch. Default 1000. */
  expirationBatchSize?: number;
  /**
   * How often the files of by-reference payloads whose job no longer exists are removed (only with
   * a file store; see docs/file-store.md). Default `'10m'`.
   */
  payloadSweepInterval?: Duration;
  /**
   * How often the job metrics this server gathered (counts and wait and run times per job name,
   * queue and minute) are added to storage; a crash loses at most this long of them. Default `'5s'`.
   * See docs/metrics.md.
   */
  metricsFlushInterval?: Duration;
  /** Worker threads for `execution: 'thread'` jobs. Default: the number of CPU cores. */
  threads?: number;
  /** Stop gracefully on SIGTERM and SIGINT. Default true. */
  handleSignals?: boolean;
  /** A name to recognise the server by in the dashboard; the id appends a random suffix. Default: the host name. */
  name?: string;
  /**
   * Where the server logs its lifecycle and its jobs' outcomes: any pino-compatible logger (see
   * docs/logging.md). Attached by `spool.startServer()`. Default: the Spool instance's `logger`, else none.
   */
  logger?: Logger;
}

/** Server options after defaults, durations in milliseconds. */
export interface ResolvedServerOptions {
  queues: readonly string[];
  concurrency: number;
  prefetch: number;
  leaseTime: number;
  leaseRenewInterval: number;
  pollInterval: number;
  shutdownTimeout: number;
  flushTimeout: number;
  heartbeatInterval: number;
  serverTimeout: number;
  rescueInterval: number;
  maxRescues: number;
  recurringPollInterval: number;
  expirationInterval: number;
  expirationBatchSize: number;
  payloadSweepInterval: number;
  metricsFlushInterval: number;
  threads: number;
  handleSignals: boolean;
  name: string | undefined;
  logger: Logger | undefined;
}

/** Validates server options and applies defaults. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const resolved = resolveOptions<ResolvedServerOptions>(
    {
      queues: { kind: 'stringList', default: ['default'], nonEmpty: true },
      concurrency: { kind: 'integer', default: 10, min: 1, max: 10_000 },
      prefetch: { kind: 'integer', optional: true, min: 0, max: 100_000 },
      leaseTime: { kind: 'duration', default: 30_000, min: 1000 },
      leaseRenewInterval: { kind: 'duration', default: 10_000, min: 100 },
      pollInterval: { kind: 'duration', default: 1000, min: 10 },
      shutdownTimeout: { kind: 'duration', default: 15_000 },
      flushTimeout: { kind: 'duration', default: 10_000 },
      heartbeatInterval: { kind: 'duration', default: 10_000, min: 100 },
      serverTimeout: { kind: 'duration', default: 60_000, min: 1000 },
      rescueInterval: { kind: 'duration', default: 5000, min: 100 },
      maxRescues: { kind: 'integer', default: 3, min: 0 },
      recurringPollInterval: { kind: 'duration', default: 1000, min: 100 },
      expirationInterval: { kind: 'duration', default: 60_000, min: 100 },
      expirationBatchSize: { kind: 'integer', default: 1000, min: 1, max: 100_000 },
      payloadSweepInterval: { kind: 'duration', default: 600_000, min: 100 },
      metricsFlushInterval: { kind: 'duration', default: 5000, min: 100 },
      threads: { kind: 'integer', default: Math.max(1, availableParallelism()), min: 1, max: 256 },
      handleSignals: { kind: 'boolean', default: true },
      name: { kind: 'string', optional: true },
      logger: { kind: 'any', optional: true, check: checkLogger },
    },
    options,
    'server options',
  );
  const withPrefetch = Object.freeze({ ...resolved, prefetch: resolved.prefetch ?? Math.max(DEFAULT_PREFETCH, resolved.concurrency * 4) });
  if (withPrefetch.leaseRenewInterval >= withPrefetch.leaseTime) {
    throw configProblem('server options.leaseRenewInterval', `must be shorter than leaseTime (${resolved.leaseTime} ms), got ${resolved.leaseRenewInterval} ms`);
  }
  return withPrefetch;
}


/**
 * The claim-ahead cap by default. No-op jobs finish in about 0.05 ms, so 25 ms of them is ~500:
 * claimed in one round trip instead of dozens (measured on PostgreSQL: ~2x the burn-down of a cap of 40).
 */
const DEFAULT_PREFETCH = 500;

function configProblem(path: string, message: string): ConfigError {
  return new ConfigError([{ path, message }]);
}
