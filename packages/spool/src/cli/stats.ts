import { JOB_STATES } from '@spool/core';

import { colours, paintState } from './colours.js';
import type { Command } from './command.js';
import { count, jsonDocument, relativeTime, shortDuration, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

/** `spool stats`: job counts per state, queues, servers and recurring jobs. */
export const statsCommand: Command = {
  path: ['stats'],
  summary: 'Show job counts per state, queues, servers and recurring jobs',
  positionals: '',
  description:
    'Counts come from counters the storage maintains, so this stays fast on large storages. With --by-name: throughput, failure rate and wait and run time percentiles per job name and queue, from the aggregates servers keep in storage.',
  options: [
    { name: 'by-name', type: 'boolean', description: 'Show job metrics per job name and queue instead of counts per state' },
    { name: 'window', type: 'string', value: 'hour|day', description: 'With --by-name: the last hour (default) or the last day' },
  ],
  examples: [
    '# Counts on the default storage',
    'spool stats',
    '# The same as JSON',
    'spool stats --json --storage sqlite:./data/spool.db',
    '# Throughput, failure rate and percentiles per job name over the last day',
    'spool stats --by-name --window day',
  ],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], 'stats');
    if (flags['by-name'] === true) {
      const window = flags.window === undefined ? 'hour' : flags.window;
      return withSpool(flags, io, async (spool) => {
        const report = await spool.jobMetrics(window as 'hour' | 'day');
        if (flags.json) {
          io.out(jsonDocument(report));
          return 0;
        }
        const ms = (v: number | null): string => (v === null ? '-' : v < 1 ? '<1ms' : shortDuration(v));
        const rows = report.rows.map((r) => [
          r.name,
          r.queue,
          r.succeededPerMinute.toFixed(2),
          r.failedPerMinute.toFixed(2),
          r.failureRate === null ? '-' : `${(r.failureRate * 100).toFixed(1)}%`,
          `${ms(r.wait.p50)} ${ms(r.wait.p95)} ${ms(r.wait.p99)}`,
          `${ms(r.run.p50)} ${ms(r.run.p95)} ${ms(r.run.p99)}`,
        ]);
        io.out(rows.length === 0 ? `No job metrics in the last ${window}: servers add what they ran every few seconds.\n` : `${table(['name', 'queue', 'ok/min', 'failed/min', 'failure', 'wait p50 p95 p99', 'run p50 p95 p99'], rows)}\n`);
        return 0;
      }, { mustExist: true });
    }
    return withSpool(flags, io, async (spool) => {
      const [stats, queues, servers] = await Promise.all([
        spool.stats(),
        spool.storage.monitoring.queues(),
        spool.storage.monitoring.servers(),
      ]);
      if (flags.json) {
        io.out(jsonDocument({ ...stats, queues, liveServers: servers }));
        return 0;
      }
      const now = io.now();
      const paint = colours(io, 'out');
      io.out(`${table(['state', 'jobs'], JOB_STATES.map((s) => [paintState(paint, s), count(stats.states[s])]))}\n`);
      io.out(`\nservers: ${count(stats.servers)}   recurring jobs: ${count(stats.recurring)}\n`);
      if (queues.length > 0) {
        const rows = queues.map((q) => [q.name, count(q.enqueued), q.paused ? 'yes' : 'no', relativeTime(q.oldestEnqueuedAt, now)]);
        io.out(`\n${table(['queue', 'enqueued', 'paused', 'oldest'], rows)}\n`);
      }
      if (servers.length > 0) {
        const rows = servers.map((s) => [s.id, s.queues.join(','), `${s.running}/${s.concurrency}`, relativeTime(s.heartbeatAt, now)]);
        io.out(`\n${table(['server', 'queues', 'running', 'heartbeat'], rows)}\n`);
      }
      return 0;
    }, { mustExist: true });
  },
};
