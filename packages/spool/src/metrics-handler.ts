import type { IncomingMessage, ServerResponse } from 'node:http';

import type { SpoolMetrics } from '@spool/core';
import { EXPOSITION_CONTENT_TYPE } from '@spool/core';

/** A Node request handler, for node:http, Express, Fastify (through `raw`) or Hono's node server. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves Spool's metrics in the Prometheus text format at whatever path it is mounted on:
 * `app.get('/metrics', createMetricsHandler(new SpoolMetrics(spool)))`. GET and HEAD only; when the
 * storage cannot be read the answer is 503 with the reason, so the scrape fails visibly.
 */
export function createMetricsHandler(metrics: SpoolMetrics): MetricsHandler {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    metrics.render().then(
      (body) => {
        res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Spool metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  };
}
