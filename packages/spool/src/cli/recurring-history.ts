import type { Command } from './command.js';
import { jsonDocument, relativeTime, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, integerFlag, parseCommandLine } from './parse.js';

/** `spool recurring history <id>`: what the scheduler did with each occurrence, and the triggers and backfills. */
export const recurringHistoryCommand: Command = {
  path: ['recurring', 'history'],
  summary: 'Show what happened to a recurring job’s occurrences: fired, queued, skipped, missed',
  positionals: '<id>',
  description:
    'Shows the latest entries of a recurring job’s history, newest first: each occurrence the\n' +
    'scheduler fired, queued behind the previous run, or skipped because the previous run was\n' +
    'unfinished (its overlap policy), ranges missed while no server ran, and the triggers and\n' +
    'backfills asked for. The storage keeps the latest 100 entries of each recurring job.',
  options: [{ name: 'limit', type: 'string', value: 'n', description: 'How many entries, 1 to 100 (default 20)' }],
  examples: ['# Why did last night’s report not run?', 'spool recurring history reports.nightly', '# As JSON', 'spool recurring history reports.nightly --json'],
  async run(args, io) {
    const where = 'recurring history';
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['id'], where);
    const id = positionals[0]!;
    const limit = integerFlag(flags, 'limit', where, { min: 1, max: 100 }) ?? 20;
    return withSpool(flags, io, async (spool) => {
      const history = await spool.recurring.history(id, { limit });
      if (flags.json) {
        io.out(jsonDocument({ recurringId: id, history }));
        return 0;
      }
      if (history.length === 0) {
        io.out(`no history for recurring job ${id} yet\n`);
        return 0;
      }
      const now = io.now();
      const occurrence = (e: (typeof history)[number]): string =>
        e.occurrence === null ? '-' : e.from !== null && e.from.getTime() !== e.occurrence.getTime() ? `${e.from.toISOString()} to ${e.occurrence.toISOString()}` : e.occurrence.toISOString();
      const rows = history.map((e) => [relativeTime(e.at, now), e.event, occurrence(e), e.jobId ?? '-', e.reason]);
      io.out(`${table(['when', 'event', 'occurrence', 'job', 'reason'], rows, 160)}\n`);
      return 0;
    }, { mustExist: true });
  },
};
