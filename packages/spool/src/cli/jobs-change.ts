import type { ChangeJobOptions } from '@spool/core';
import { JobNotFoundError } from '@spool/core';

import type { Command } from './command.js';
import { UsageError } from './command.js';
import { jsonDocument } from './format.js';
import { withSpool } from './open-spool.js';
import type { Flags } from './parse.js';
import { durationFlag, expectPositionals, integerFlag, jsonFlag, parseCommandLine, stringFlag, timeFlag } from './parse.js';

const CHANGE = 'jobs change';
const RUN_NOW = 'jobs run-now';

/** `spool jobs change <id>`: changes the due time, priority, queue or arguments of a job that has not started. */
export const jobsChangeCommand: Command = {
  path: ['jobs', 'change'],
  summary: 'Change the due time, priority, queue or arguments of a job that has not started',
  positionals: '<id>',
  description:
    'Changes a waiting job in one guarded write, as spool.changeJob does: a scheduled job takes a new\n' +
    'due time, and a scheduled, enqueued or awaiting job new priority, queue or arguments. A job that\n' +
    'has started or finished is refused (ERR_JOB_NOT_WAITING, with the state found) and nothing changes.\n' +
    'The job history says what changed (arguments are named, never shown).',
  options: [
    { name: 'at', type: 'string', value: 'time', description: 'New due time (ISO 8601), for a scheduled job' },
    { name: 'delay', type: 'string', value: 'duration', description: 'New due time this long from now (e.g. 10m), for a scheduled job' },
    { name: 'priority', type: 'string', value: 'n', description: 'New priority (higher runs first within a queue)' },
    { name: 'queue', type: 'string', value: 'name', description: 'New queue' },
    { name: 'args', type: 'string', value: 'json', description: 'New arguments as JSON, checked as enqueue checks them' },
  ],
  examples: [
    '# Run a scheduled job in an hour instead, with a higher priority',
    'spool jobs change 01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f --delay 1h --priority 10',
    '# Fix the arguments of a job that has not started',
    `spool jobs change <id> --args '{"month":"2026-12"}'`,
  ],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['id'], CHANGE);
    const id = positionals[0]!;
    const changes = changeOptions(flags);
    return withSpool(flags, io, async (spool) => {
      await spool.changeJob(id, changes);
      const job = await spool.getJob(id);
      if (job === null) throw new JobNotFoundError(id);
      const summary = { id, state: job.state, queue: job.queue, priority: job.priority, runAt: job.runAt?.toISOString() ?? null, changed: Object.keys(changes) };
      if (flags.json) io.out(jsonDocument(summary));
      else io.out(`changed ${summary.changed.join(', ')} of ${job.name} ${id} (${job.state}, queue ${job.queue}, priority ${job.priority}${summary.runAt ? `, runs at ${summary.runAt}` : ''})\n`);
      return 0;
    }, { mustExist: true });
  },
};

/** `spool jobs run-now <id>`: moves a scheduled job to its queue at once. */
export const jobsRunNowCommand: Command = {
  path: ['jobs', 'run-now'],
  summary: 'Move a scheduled job to its queue now',
  positionals: '<id>',
  description:
    'Enqueues a scheduled job at once, keeping its attempts, as spool.runNow does. A job that is\n' +
    'already enqueued is left as it is; one that is awaiting its parent, running or finished is\n' +
    'refused (ERR_JOB_NOT_WAITING).',
  options: [],
  examples: ['# Run a job scheduled for tonight now', 'spool jobs run-now 01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['id'], RUN_NOW);
    const id = positionals[0]!;
    return withSpool(flags, io, async (spool) => {
      const moved = await spool.runNow(id, 'Run now from the command line');
      if (flags.json) io.out(jsonDocument({ id, enqueued: true, moved }));
      else io.out(moved ? `enqueued ${id}\n` : `${id} was already enqueued; nothing changed\n`);
      return 0;
    }, { mustExist: true });
  },
};

function changeOptions(flags: Flags): ChangeJobOptions {
  const changes: ChangeJobOptions = {};
  const at = timeFlag(flags, 'at', CHANGE);
  const delay = durationFlag(flags, 'delay', CHANGE);
  if (at !== undefined && delay !== undefined) throw new UsageError('give either --delay or --at, not both', CHANGE);
  if (at !== undefined) changes.at = at;
  if (delay !== undefined) changes.delay = delay;
  const priority = integerFlag(flags, 'priority', CHANGE, { min: -1_000_000, max: 1_000_000 });
  if (priority !== undefined) changes.priority = priority;
  const queue = stringFlag(flags, 'queue');
  if (queue !== undefined) changes.queue = queue;
  const args = jsonFlag(flags, 'args', CHANGE);
  if (args !== undefined) changes.args = args;
  if (Object.keys(changes).length === 0) throw new UsageError('give at least one of --at, --delay, --priority, --queue, --args', CHANGE);
  return changes;
}
