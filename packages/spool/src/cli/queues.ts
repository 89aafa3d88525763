import type { Command } from './command.js';
import { colours } from './colours.js';
import { count, jsonDocument, relativeTime, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

/** `spool queues list`: every queue with its waiting jobs and whether it is paused. */
export const queuesListCommand: Command = {
  path: ['queues', 'list'],
  summary: 'List queues with their waiting jobs, and whether each is paused',
  positionals: '',
  description: 'Every queue that holds jobs or is paused, from the counters the storage maintains.',
  options: [],
  examples: ['# The queues of the default storage', 'spool queues list'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], 'queues list');
    return withSpool(flags, io, async (spool) => {
      const queues = await spool.storage.monitoring.queues();
      if (flags.json) {
        io.out(jsonDocument({ queues }));
        return 0;
      }
      if (queues.length === 0) {
        io.out('no queues\n');
        return 0;
      }
      const paint = colours(io, 'out');
      const now = io.now();
      io.out(`${table(['queue', 'enqueued', 'paused', 'oldest'], queues.map((q) => [q.name, count(q.enqueued), q.paused ? paint.yellow('yes') : 'no', relativeTime(q.oldestEnqueuedAt, now)]))}\n`);
      return 0;
    }, { mustExist: true });
  },
};

/** `spool queues pause|resume <queue>...`. */
export function queuePauseCommand(paused: boolean): Command {
  const verb = paused ? 'pause' : 'resume';
  return {
    path: ['queues', verb],
    summary: paused ? 'Pause queues: servers stop taking their jobs' : 'Resume paused queues',
    positionals: '<queue>...',
    description: paused
      ? 'Servers stop taking jobs from these queues until they are resumed; running jobs finish and\nenqueueing goes on.'
      : 'Servers take jobs from these queues again.',
    options: [],
    examples: [`# ${paused ? 'Pause' : 'Resume'} the emails queue`, `spool queues ${verb} emails`],
    async run(args, io) {
      const { flags, positionals } = parseCommandLine(this, args);
      if (positionals.length === 0) expectPositionals(positionals, ['queue'], `queues ${verb}`);
      return withSpool(flags, io, async (spool) => {
        for (const queue of positionals) await (paused ? spool.pauseQueue(queue) : spool.resumeQueue(queue));
        if (flags.json) io.out(jsonDocument({ queues: positionals, paused }));
        else io.out(`${paused ? 'paused' : 'resumed'} ${positionals.join(', ')}\n`);
        return 0;
      }, { mustExist: true });
    },
  };
}
