import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { exportsDir, mountDocumentExport, uploadsDir } from '@spool-examples/document-export';
import { listenHttp, sendHtml, sendStylesheet } from '@spool-examples/web-kit';
import { mountInProcessQueue } from '@spool-examples/in-process-queue';
import { mountMessagePush } from '@spool-examples/message-push';
import { mountNightlyCleanup } from '@spool-examples/nightly-cleanup';
import type { Server, Storage } from 'spool';
import { Spool } from 'spool';

import { EXAMPLES, DASHBOARD_PATH } from './examples.js';
import { STYLESHEET, renderIndexPage } from './index-page.js';
import type { Route } from './router.js';
import { dispatch, findRoute } from './router.js';

/** Options of {@link startShowcase}. */
export interface ShowcaseOptions {
  /** Storage URL or object. Default `'sqlite:./data/spool.db'`. */
  storage?: string | Storage;
  /** Folder for files (the document store). Default `'./data'`. */
  dataDir?: string;
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** HTTP host. Default `'127.0.0.1'`. */
  host?: string;
  /** Run the jobs in this process. Default true; false when worker processes run them (`worker.js`). */
  worker?: boolean;
  /** Share of simulated pushes that fail. Default 0.2. */
  pushFailureRate?: number;
  /** Pause after each laid-out block of a PDF, so that progress can be watched. Default: the example's. */
  exportBlockDelayMs?: number;
  /** Time zone of the nightly cleanup. Default: the example's (`Europe/Berlin`). */
  cleanupTimezone?: string;
}

/** A running showcase. */
export interface Showcase {
  url: string;
  spool: Spool;
  http: HttpServer;
  /** The Spool servers of this process (none with `worker: false`). */
  servers: Server[];
  close(): Promise<void>;
}

/** Every example on one Spool, as the web process and the worker processes both build it. */
export interface MountedExamples {
  spool: Spool;
  routes: Route[];
  /** Queues and how many of their jobs one process runs at once. */
  work: Array<{ queues: string[]; concurrency: number }>;
  close(): Promise<void>;
}

/** Creates the Spool and mounts every example on it (defining their jobs and the recurring cleanup). */
export async function mountExamples(options: ShowcaseOptions = {}): Promise<MountedExamples> {
  const dataDir = options.dataDir ?? './data';
  const storeDir = join(dataDir, 'documents');
  mkdirSync(storeDir, { recursive: true });
  const spool = new Spool({ storage: options.storage ?? 'sqlite:./data/spool.db' });
  await spool.init();
  const path = (id: string) => EXAMPLES.find((e) => e.id === id)!.path;
  const push = await mountMessagePush(spool, { basePath: path('push'), failureRate: options.pushFailureRate, dashboardPath: DASHBOARD_PATH });
  const documents = await mountDocumentExport(spool, { basePath: path('export'), storeDir, blockDelayMs: options.exportBlockDelayMs });
  const queue = await mountInProcessQueue(spool, { basePath: path('queue'), dashboardPath: DASHBOARD_PATH });
  const cleanup = await mountNightlyCleanup(spool, {
    basePath: path('cleanup'),
    // Finished PDFs and the uploads they were made from: both pile up, both are cleaned.
    folders: [exportsDir(storeDir), uploadsDir(storeDir)],
    timezone: options.cleanupTimezone,
    dashboardPath: DASHBOARD_PATH,
  });
  const mounts = { push, export: documents, queue, cleanup } as const;
  return {
    spool,
    routes: EXAMPLES.map((e) => ({ prefix: e.path, handle: mounts[e.id].handle })),
    work: EXAMPLES.map((e) => ({ queues: mounts[e.id].queues, concurrency: e.concurrency })),
    async close() {
      for (const mount of Object.values(mounts)) await mount.close();
      await spool.close();
    },
  };
}

/** Starts the showcase: every example and the dashboard on one HTTP server and, by default, the workers too. */
export async function startShowcase(options: ShowcaseOptions = {}): Promise<Showcase> {
  const examples = await mountExamples(options);
  const { spool } = examples;
  const servers: Server[] = [];
  if (options.worker !== false) {
    for (const { queues, concurrency } of examples.work) servers.push(await spool.startServer({ queues, concurrency, handleSignals: false }));
  }
  const dashboard = spool.dashboard({ basePath: DASHBOARD_PATH, title: 'Spool showcase' });
  const http = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      console.error('showcase: request failed:', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The request failed; see the server log.');
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`)) return dashboard(req, res);
    const match = findRoute(examples.routes, path);
    if (match) return dispatch(match, req, res);
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) return sendHtml(res, 200, renderIndexPage({ worker: options.worker !== false }));
    if (path === '/showcase.css') return sendStylesheet(res, STYLESHEET);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`Nothing at ${path}. The examples are listed at /.`);
  }

  const url = await listenHttp(http, { port: options.port, host: options.host });
  let closing: Promise<void> | null = null;
  return {
    url,
    spool,
    http,
    servers,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeIdleConnections();
        });
        for (const server of servers) await server.stop();
        await examples.close();
      })();
      return closing;
    },
  };
}
