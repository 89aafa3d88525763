import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ExampleMount } from '@spool-examples/web-kit';
import { HttpError, allow, answerError, readObjectBody, sendHtml, sendJson, sendStylesheet } from '@spool-examples/web-kit';
import type { Spool } from 'spool';

import { QueueClosedError } from './bounded-queue.js';
import { CompletedLog } from './completed-log.js';
import type { WorkPath } from './completed-log.js';
import { MemoryWelcomeSender } from './memory-welcome.js';
import type { MemoryQueueStatus } from './memory-welcome.js';
import { indexPage } from './page.js';
import { PAGE_STYLESHEET } from './page-style.js';
import { SimulatedMailer } from './welcome-email.js';
import { WELCOME_JOB, WELCOME_QUEUE, defineWelcomeJob } from './welcome-job.js';

/** Options of {@link mountInProcessQueue}. */
export interface InProcessQueueOptions {
  /** The path the host mounts the example under, for the links in its page, e.g. `'/in-process-queue'`. Default `''`. */
  basePath?: string;
  /** Most emails the in-memory queue buffers. Default 10. */
  capacity?: number;
  /** Consumers of the in-memory queue (emails sent at once on that path). Default 2. */
  consumers?: number;
  /** How long one simulated send takes, in ms. Default 200. */
  latencyMs?: number;
  /** Append-only file where every sent email is recorded (`memory <id>` or `spool <id>`). Default: none. */
  completedFile?: string | null;
  /** Where the host serves the Spool dashboard, for links. Default `'/spool'`; null for no links. */
  dashboardPath?: string | null;
  /** How long `close()` lets the in-memory consumers send what is buffered, in ms. Default 5000. */
  drainTimeoutMs?: number;
}

/** The mounted example, with a view of both paths for the host and tests. */
export interface InProcessQueueMount extends ExampleMount {
  status(): Promise<WorkStatus>;
}

/** Both paths side by side. */
export interface WorkStatus {
  memory: MemoryQueueStatus;
  spool: { queue: string; waiting: number };
  /** Emails sent by this process since it started, per path. */
  sentHere: Readonly<Record<WorkPath, number>>;
}

/** Largest burst one request may ask for. */
export const MAX_BURST = 500;

/**
 * Mounts the in-process queue example on a Spool: defines the `emails.welcome` job on it and starts
 * the in-memory queue's consumers. Requests (URLs relative to the mount):
 *
 * - `GET /`: a page that explains both paths and sends bursts; `GET /style.css`: its stylesheet.
 * - `POST /api/emails {to, via: "memory" | "spool"}`: one welcome email; 202 with its id.
 * - `POST /api/burst {via, count}`: `count` emails as fast as the path takes them; tells how many
 *   times the producer had to wait for room (always 0 for Spool).
 * - `GET /api/status`: both paths now.
 */
export async function mountInProcessQueue(spool: Spool, options: InProcessQueueOptions = {}): Promise<InProcessQueueMount> {
  const mailer = new SimulatedMailer(options.latencyMs ?? 200);
  const completed = new CompletedLog(options.completedFile ?? null);
  spool.define(defineWelcomeJob({ mailer, completed }));
  await spool.init();
  const memory = new MemoryWelcomeSender({ capacity: options.capacity ?? 10, consumers: options.consumers ?? 2, mailer, completed });
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const dashboardPath = options.dashboardPath === undefined ? '/spool' : options.dashboardPath;
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;

  const status = async (): Promise<WorkStatus> => {
    const queue = (await spool.storage.monitoring.queues()).find((q) => q.name === WELCOME_QUEUE);
    return { memory: memory.status(), spool: { queue: WELCOME_QUEUE, waiting: queue?.enqueued ?? 0 }, sentHere: completed.completedHere() };
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    if (path === '/') {
      allow(req, ['GET']);
      return sendHtml(res, 200, indexPage({ basePath, dashboardPath, memory: memory.status(), maxBurst: MAX_BURST }));
    }
    if (path === '/style.css') {
      allow(req, ['GET']);
      return sendStylesheet(res, PAGE_STYLESHEET);
    }
    if (path === '/api/emails') {
      allow(req, ['POST']);
      const body = await readObjectBody(req);
      const via = parseVia(body.via);
      const to = parseAddress(body.to);
      if (via === 'spool') {
        const id = await spool.enqueue(WELCOME_JOB, { to });
        return sendJson(res, 202, { via, id, waited: false });
      }
      const { id, waited } = await memory.send({ to }, abortedWith(res));
      return sendJson(res, 202, { via, id, waited });
    }
    if (path === '/api/burst') {
      allow(req, ['POST']);
      const body = await readObjectBody(req);
      const via = parseVia(body.via);
      const count = parseCount(body.count);
      const started = performance.now();
      let producerWaits = 0;
      const ids: string[] = [];
      const emails = Array.from({ length: count }, (_, i) => ({ to: `burst-${i + 1}@example.com` }));
      if (via === 'spool') {
        // One storage call for the whole burst: Spool takes the work as fast as it can store it.
        ids.push(...(await spool.enqueueMany(WELCOME_JOB, emails)));
      } else {
        const signal = abortedWith(res);
        for (const email of emails) {
          const { id, waited } = await memory.send(email, signal);
          ids.push(id);
          if (waited) producerWaits += 1;
        }
      }
      const elapsedMs = Math.round(performance.now() - started);
      return sendJson(res, 200, { via, accepted: ids.length, producerWaits, elapsedMs, ids });
    }
    if (path === '/api/status') {
      allow(req, ['GET']);
      return sendJson(res, 200, await status());
    }
    throw new HttpError(404, 'not_found', `No route for ${req.method} ${path}.`);
  };

  return {
    queues: [WELCOME_QUEUE],
    status,
    handle(req, res) {
      return route(req, res).catch((error: unknown) => {
        if (error instanceof QueueClosedError) error = new HttpError(503, 'closing', 'The in-memory queue is closed: the app is stopping.');
        answerError(res, error, 'in-process-queue');
      });
    },
    async close() {
      const lost = await memory.close(drainTimeoutMs);
      if (lost > 0) console.warn(`in-process-queue: ${lost} welcome email(s) in the in-memory queue were not sent before stopping and are lost`);
    },
  };
}

/** An AbortSignal that aborts when the client goes away before its answer is sent. */
function abortedWith(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new HttpError(499, 'client_closed', 'The client went away.'));
  });
  return controller.signal;
}

function parseVia(value: unknown): WorkPath {
  if (value === 'memory' || value === 'spool') return value;
  throw new HttpError(400, 'bad_request', `via: expected "memory" or "spool", got ${JSON.stringify(value) ?? 'nothing'}`);
}

function parseAddress(value: unknown): string {
  if (typeof value === 'string' && /^[^@\s]{1,64}@[^@\s]{1,190}$/.test(value)) return value;
  throw new HttpError(400, 'bad_request', `to: expected an email address, got ${JSON.stringify(value) ?? 'nothing'}`);
}

function parseCount(value: unknown): number {
  const count = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof count === 'number' && Number.isInteger(count) && count >= 1 && count <= MAX_BURST) return count;
  throw new HttpError(400, 'bad_request', `count: expected a whole number from 1 to ${MAX_BURST}, got ${JSON.stringify(value) ?? 'nothing'}`);
}
