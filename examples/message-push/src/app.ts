import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { HttpError, allow, answerError, readJsonBody, sendJson } from '@spool-examples/web-kit';
import type { JobView, Spool } from 'spool';
import { isUuid } from 'spool';

import { DeviceDirectory } from './device-directory.js';
import { parseMessage } from './message-args.js';
import { handlePage } from './page-routes.js';
import { PUSH_JOB } from './push-job.js';

/** Options of the web app. */
export interface AppOptions {
  /** Users known to the API (unknown users get 404). Default: the demo directory. */
  directory?: DeviceDirectory;
  /** The path the API is mounted under, for the links it answers with, e.g. `'/push'`. Default `''`. */
  basePath?: string;
  /** Where the host serves the Spool dashboard, for links from the pages. Default: no links. */
  dashboardPath?: string | null;
}

/** What every route needs. */
export interface AppContext {
  spool: Spool;
  directory: DeviceDirectory;
  basePath: string;
  dashboardPath: string | null;
}

/**
 * The message-push Web API on node:http. It only enqueues and reads jobs; a Spool server (in this
 * process or another) runs them.
 *
 * - `POST /api/messages {userId, text}`: enqueues `messages.push`, answers 202 `{ jobId, status }` at once.
 * - `GET /api/jobs/:id`: the job's state, attempts, result, error and history.
 * - `GET /api/users`: the users the demo knows.
 */
export { MAX_TEXT_LENGTH, parseMessage } from './message-args.js';

export function createApp(spool: Spool, options: AppOptions = {}): Server {
  return createServer(createHandler(spool, options));
}

/** The same Web API as a request handler, for mounting under a path (the mount removes its prefix from `req.url`). */
export function createHandler(spool: Spool, options: AppOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const app: AppContext = {
    spool,
    directory: options.directory ?? DeviceDirectory.demo(),
    basePath: (options.basePath ?? '').replace(/\/+$/, ''),
    dashboardPath: options.dashboardPath ?? null,
  };
  return (req, res) => {
    handle(app, req, res).catch((error: unknown) => answerError(res, error, 'message-push'));
  };
}

async function handle(app: AppContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { spool, directory } = app;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/api/messages') {
    allow(req, ['POST']);
    return postMessage(app, req, res);
  }
  const jobMatch = /^\/api\/jobs\/([^/]+)$/.exec(path);
  if (jobMatch) {
    allow(req, ['GET']);
    return getJob(spool, decodeURIComponent(jobMatch[1]!), res);
  }
  if (path === '/api/users') {
    allow(req, ['GET']);
    return sendJson(res, 200, { users: directory.users() });
  }
  if (path === '/' && !acceptsHtml(req)) {
    allow(req, ['GET']);
    return sendJson(res, 200, {
      name: 'message-push',
      endpoints: ['POST /api/messages {"userId":"ann","text":"Hello"}', 'GET /api/jobs/:id', 'GET /api/users'],
    });
  }
  if (await handlePage(app, path, url, req, res)) return;
  throw new HttpError(404, 'not_found', `No route for ${req.method} ${path}.`);
}

function acceptsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

async function postMessage({ spool, directory, basePath }: AppContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const args = parseMessage(await readJsonBody(req, { emptyMessage: 'Expected a JSON body such as {"userId":"ann","text":"Hello"}.' }));
  if (!directory.devicesOf(args.userId)) {
    throw new HttpError(404, 'unknown_user', `No user "${args.userId}". GET /api/users lists the known users.`);
  }
  // The handler's reply waits only for the job to be stored, never for the push itself.
  const jobId = await spool.enqueue(PUSH_JOB, args);
  const status = `${basePath}/api/jobs/${jobId}`;
  sendJson(res, 202, { jobId, status }, { location: status });
}

async function getJob(spool: Spool, id: string, res: ServerResponse): Promise<void> {
  if (!isUuid(id)) throw new HttpError(400, 'bad_request', `Expected a job id (a UUID), got ${JSON.stringify(id)}.`);
  const job = await spool.getJob(id);
  if (!job) throw new HttpError(404, 'not_found', `No job ${id} (it may have expired).`);
  sendJson(res, 200, jobStatus(job));
}

/** What the status API shows of a job. */
export function jobStatus(job: JobView) {
  return {
    id: job.id,
    name: job.name,
    state: job.state,
    attempts: job.attempt,
    maxAttempts: job.maxAttempts,
    progress: job.progress,
    args: job.args,
    result: job.result,
    // A succeeded job keeps the error of its last failed attempt; the history tells that story.
    error: job.error && job.state !== 'succeeded' ? { name: job.error.name, message: job.error.message } : null,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
    history: job.history.map((h) => ({ state: h.state, reason: h.reason, at: h.at })),
  };
}
