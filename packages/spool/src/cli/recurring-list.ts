import type { Command } from './command.js';
import { jsonDocument, relativeTime, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

/** `spool recurring list`: every recurring job with its schedule. */
export const recurringListCommand: Command = {
  path: ['recurring', 'list'],
  summary: 'List recurring jobs with their schedules',
  positionals: '',
  description: 'Shows every recurring job: its cron expression, time zone, next and last run.',
  options: [],
  examples: ['# All recurring jobs', 'spool recurring list', '# As JSON', 'spool recurring list --json'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], 'recurring list');
    return withSpool(flags, io, async (spool) => {
      const recurring = await spool.recurring.list();
      if (flags.json) {
        io.out(jsonDocument({ recurring }));
        return 0;
      }
      if (recurring.length === 0) {
        io.out('no recurring jobs\n');
        return 0;
      }
      const now = io.now();
      const rows = recurring.map((r) => [
        r.id,
        r.name,
        r.cron,
        r.timezone,
        r.paused ? 'paused' : relativeTime(r.nextRunAt, now),
        relativeTime(r.lastRunAt, now),
        r.lastJobId ?? '-',
      ]);
      io.out(`${table(['id', 'job', 'cron', 'time zone', 'next run', 'last run', 'last job'], rows)}\n`);
      return 0;
    }, { mustExist: true });
  },
};
