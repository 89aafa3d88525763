import { JOB_STATES } from '@spool/core';

import { colours, paintState } from './colours.js';
import type { Command } from './command.js';
import { count, jsonDocument, relativeTime, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

/** `spool stats`: job counts per state, queues, servers and recurring jobs. */
export const statsCommand: Command = {
  path: ['stats'],
  summary: 'Show job counts per state, queues, servers and recurring jobs',
  positionals: '',
  description: 'Counts come from counters the storage maintains, so this stays fast on large storages.',
  options: [],
  examples: ['# Counts on the default storage', 'spool stats', '# The same as JSON', 'spool stats --json --storage sqlite:./data/spool.db'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], 'stats');
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
