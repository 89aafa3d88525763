import type { IncomingMessage, ServerResponse } from 'node:http';

import type { JobRecord, Json, Spool } from '@spool/core';
import { ConfigError, STATE_FACTS, parseDuration } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';

import { jobStatusClientAsset } from './job-status-client-asset.js';
import { ChangeFeed } from '../live/change-feed.js';
import { openEventStream } from '../live/event-stream.js';
import { watchJob } from '../live/job-watch.js';
import { JOB_ID, JobStatusTokenError, JobStatusTokens } from './job-status-token.js';

/** Options of {@link createJobStatus}. */
export interface JobStatusOptions {
  /**
   * The key tokens are signed with: at least 32 bytes, kept on the server (an environment variable,
   * a secret store). Every process that serves the handler or issues tokens needs the same one.
   */
  secret: string | Buffer;
  /** The path the handler is mounted under, e.g. `'/job-status'`; `''` at the root. Default `''`. */
  basePath?: string;
  /** How long a token lets its holder watch its job (ms or duration string). Default '1h'. */
  tokenTtl?: number | string;
  /**
   * How often a job that has not finished is read for its progress (ms or duration string);
   * state changes arrive at once by the storage's notifications. Default '1s', at least 100 ms.
   */
  checkInterval?: number | string;
  /**
   * What a watcher is told about its job (must be JSON). Default {@link defaultJobStatusView}: id,
   * name, state, progress, attempts, the error's name, code and message, and times; neither
   * arguments nor result, which may hold what only the application should see.
   */
  view?: (job: JobRecord) => Json;
  /** Most streams open at once; beyond it a watcher gets 503 and its client polls. Default 10,000. */
  maxStreams?: number;
  /** Where errors of storage reads go. Default `console.error`. */
  onError?: (error: unknown) => void;
}

/** Test-only hooks of {@link createJobStatus}, never part of its options. */
export interface JobStatusRuntime {
  /** The clock tokens are issued and checked by. Default `Date.now`. */
  now?: () => number;
}

/** A job status endpoint: the handler to mount, and what the application needs to send users to it. */
export interface JobStatus {
  /**
   * The request handler: `GET <basePath>/<job id>?token=<token>` opens a server-sent-events stream
   * of `status` events (the view of the job) and a last `done` event when the job has finished;
   * `GET <basePath>/client.js` serves the browser client. Anything else under the base path is 404;
   * requests outside it go to `next` (or get 404).
   */
  handler: (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next?: (error?: unknown) => void) => void;
  /** A token that lets its holder watch `jobId` until it expires (`ttl`, default the `tokenTtl` option). */
  token(jobId: string, options?: { ttl?: number | string }): string;
  /** The stream's path for `jobId` with a fresh token: `<basePath>/<job id>?token=…`. */
  path(jobId: string, options?: { ttl?: number | string }): string;
  /** Checks a token for `jobId`; throws a `JobStatusTokenError` when it cannot be used. */
  verify(token: string | null | undefined, jobId: string): void;
}

interface ResolvedJobStatusOptions {
  basePath: string;
  tokenTtl: number;
  checkInterval: number;
  maxStreams: number;
}

/** What a watcher is told by default: the job's progress and outcome, without its arguments or result. */
export function defaultJobStatusView(job: JobRecord): Json {
  return {
    id: job.id,
    name: job.name,
    state: job.state,
    progress: job.progress,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    error: job.error ? { name: job.error.name, code: job.error.code ?? null, message: job.error.message } : null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
  };
}

/**
 * Creates a job status endpoint: an application shows one job's state and progress to the user
 * who started it, pushed over server-sent events, with a signed, expiring token per job so that
 * nobody watches a job they were not given (see docs/job-status.md).
 *
 * ```ts
 * const status = createJobStatus(spool, { secret: process.env.JOB_STATUS_SECRET!, basePath: '/job-status' });
 * app.use('/job-status', status.handler);
 * res.json({ jobId, stream: status.path(jobId) });
 * ```
 */
export function createJobStatus(spool: Spool, options: JobStatusOptions, runtime: JobStatusRuntime = {}): JobStatus {
  const { secret, view = defaultJobStatusView, onError = (error: unknown) => console.error('Spool job status:', error), ...rest } = options ?? ({} as JobStatusOptions);
  const secretBytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.isBuffer(secret) ? secret : null;
  if (secretBytes === null || secretBytes.length < 32) {
    throw new ConfigError([{ path: 'jobStatus.secret', message: `expected a string or Buffer of at least 32 bytes (e.g. crypto.randomBytes(32).toString('base64url')), got ${secretBytes === null ? typeof secret : `${secretBytes.length} bytes`}` }]);
  }
  const resolved = resolveOptions<ResolvedJobStatusOptions>(
    {
      basePath: { kind: 'string', default: '', pattern: /^(\/[^/?#]+)*\/?$/, patternHint: "a path such as '/job-status'" },
      tokenTtl: { kind: 'duration', default: 3_600_000, min: 1000 },
      checkInterval: { kind: 'duration', default: 1000, min: 100 },
      maxStreams: { kind: 'integer', default: 10_000, min: 1 },
      view: { kind: 'function', optional: true },
      onError: { kind: 'function', optional: true },
    },
    { ...rest, view: options.view, onError: options.onError },
    'job status options',
  );
  const basePath = resolved.basePath.replace(/\/$/, '');
  const now = runtime.now ?? Date.now;
  const tokens = new JobStatusTokens(secretBytes, now);
  const client = jobStatusClientAsset();
  let feed: ChangeFeed | null = null;
  let streams = 0;

  const ttlOf = (ttl: number | string | undefined): number => {
    if (ttl === undefined) return resolved.tokenTtl;
    const parsed = parseDuration(ttl);
    if (!parsed.ok) throw new ConfigError([{ path: 'token.ttl', message: parsed.message }]);
    return parsed.ms;
  };
  const token = (jobId: string, opts: { ttl?: number | string } = {}): string => tokens.issue(jobId, ttlOf(opts.ttl));

  const refuse = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify({ error: { code, message } }));
  };

  async function serve(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    const url = new URL(`http://job-status.invalid${(req.originalUrl ?? req.url ?? '/').replace(/^\/*/, '/')}`);
    const inside = basePath === '' ? url.pathname : url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : null;
    if (inside === null) return next ? next() : refuse(res, 404, 'ERR_NOT_FOUND', 'Not a job status path.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'ERR_METHOD', 'Only GET is allowed here.');
    if (inside === '/client.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600', ETag: client.etag, 'X-Content-Type-Options': 'nosniff' });
      return void res.end(req.method === 'HEAD' ? undefined : client.body);
    }
    const match = /^\/([^/]+)$/.exec(inside);
    const jobId = match ? decodeURIComponent(match[1]!) : null;
    if (jobId === null || !JOB_ID.test(jobId)) return refuse(res, 404, 'ERR_NOT_FOUND', `Expected ${basePath}/<job id>?token=…`);
    let expiresAt: number;
    try {
      expiresAt = tokens.verify(url.searchParams.get('token'), jobId);
    } catch (error) {
      if (!(error instanceof JobStatusTokenError)) throw error;
      return refuse(res, error.problem === 'other-job' ? 403 : 401, error.code, error.message);
    }
    await spool.init();
    const first = await spool.storage.jobGet({ id: jobId });
    if (first === null) return refuse(res, 404, 'ERR_JOB_NOT_FOUND', `No job ${jobId} (finished jobs are removed after their retention).`);
    if (streams >= resolved.maxStreams) return refuse(res, 503, 'ERR_TOO_MANY_STREAMS', 'Too many job status streams are open; poll the status instead.');
    streams++;
    const stream = openEventStream(req, res, { 'X-Content-Type-Options': 'nosniff' });
    feed ??= new ChangeFeed(spool.storage, { minGapMs: 100, fallbackMs: 3_600_000, onError });
    // The token's expiry ends the stream too: holding a stream open is watching.
    const expiry = setTimeout(() => stream.close(), Math.max(0, expiresAt - now()));
    expiry.unref();
    const stop = watchJob(spool.storage, feed, jobId, { checkMs: resolved.checkInterval, logLimit: 0, onError }, (snapshot) => {
      if (snapshot === null) {
        stream.send('done', { gone: true });
        return stream.close();
      }
      const shown = view(snapshot.job);
      if (STATE_FACTS[snapshot.job.state].finished) {
        stream.send('done', shown);
        return stream.close();
      }
      stream.send('status', shown);
    });
    stream.onClose(() => {
      streams--;
      clearTimeout(expiry);
      stop();
    });
  }

  return {
    handler: (req, res, next) => {
      serve(req, res, next).catch((error: unknown) => {
        onError(error);
        if (!res.headersSent) refuse(res, 500, 'ERR_INTERNAL', 'Job status: internal error.');
        else res.destroy();
      });
    },
    token,
    path: (jobId, opts) => `${basePath}/${encodeURIComponent(jobId)}?token=${encodeURIComponent(token(jobId, opts))}`,
    verify: (given, jobId) => void tokens.verify(given, jobId),
  };
}
