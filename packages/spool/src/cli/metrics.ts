import { createServer } from 'node:http';

import { EXPOSITION_CONTENT_TYPE, SpoolMetrics } from '@spool/core';

import { createMetricsHandler } from '../metrics-handler.js';
import { redactStorageUrl } from '../storage-url.js';
import type { Command } from './command.js';
import { jsonDocument } from './format.js';
import { listenOrExplain } from './listen.js';
import { storageUrl, withSpool } from './open-spool.js';
import { expectPositionals, integerFlag, parseCommandLine, stringFlag } from './parse.js';
import { untilStopSignal } from './stop-signal.js';

const WHERE = 'metrics';

/** `spool metrics`: the storage's gauges in the Prometheus text format, printed once or served. */
export const metricsCommand: Command = {
  path: ['metrics'],
  summary: 'Print or serve Prometheus metrics of the storage',
  positionals: '',
  description:
    'Prints the storage-wide gauges in the Prometheus text format: jobs by state, jobs waiting and\n' +
    'the oldest wait per queue, paused queues, servers alive, recurring lag. With --port it serves\n' +
    'them at /metrics until SIGTERM or SIGINT. Counters and histograms of job outcomes come from the\n' +
    'processes that run servers: mount createMetricsHandler there (see docs/metrics.md).',
  options: [
    { name: 'port', type: 'string', value: 'n', description: 'Serve at http://<host>:<port>/metrics instead of printing once' },
    { name: 'host', type: 'string', value: 'address', description: 'Address to listen on with --port (default 127.0.0.1)' },
  ],
  examples: [
    '# The gauges of the default storage, once (for a textfile collector)',
    'spool metrics > /var/lib/node_exporter/spool.prom',
    '# Served for Prometheus to scrape',
    'spool metrics --storage postgres://app@db/app --port 9464 --host 0.0.0.0',
  ],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], WHERE);
    const port = integerFlag(flags, 'port', WHERE, { min: 0, max: 65_535 });
    const host = stringFlag(flags, 'host') ?? '127.0.0.1';
    return withSpool(
      flags,
      io,
      async (spool) => {
        const metrics = new SpoolMetrics(spool);
        if (port === undefined) {
          const text = await metrics.render();
          io.out(flags.json ? jsonDocument({ contentType: EXPOSITION_CONTENT_TYPE, text }) : text);
          return 0;
        }
        const handler = createMetricsHandler(metrics);
        const server = createServer((req, res) => {
          if ((req.url ?? '/').split('?')[0] === '/metrics') handler(req, res);
          else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at /metrics\n');
        });
        const address = await listenOrExplain(server, port, host, '--port');
        const url = `http://${address}/metrics`;
        const storage = redactStorageUrl(storageUrl(flags, io));
        if (flags.json) io.out(jsonDocument({ url, storage }));
        io.err(`spool metrics on ${url}\n  storage  ${storage}\nStop with Ctrl+C or SIGTERM.\n`);
        await untilStopSignal();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        return 0;
      },
      { mustExist: true },
    );
  },
};
