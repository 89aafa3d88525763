import type { Command } from './command.js';
import { UsageError } from './command.js';
import { jsonDocument } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine, stringFlag } from './parse.js';

/** `spool recurring backfill <id> --from <time> --to <time>`: runs every occurrence of a past range now, each once. */
export const recurringBackfillCommand: Command = {
  path: ['recurring', 'backfill'],
  summary: 'Run every occurrence of a past time range now, each once',
  positionals: '<id>',
  description:
    'Creates one job for each occurrence of the recurring job between --from and --to (both included,\n' +
    '--to not later than now). An occurrence that already has a job, from the schedule or an earlier\n' +
    'backfill, is not run again. The schedule is unchanged. At most 1000 occurrences per call.',
  options: [
    { name: 'from', type: 'string', value: 'time', description: 'Start of the range, an ISO date or time (required)' },
    { name: 'to', type: 'string', value: 'time', description: 'End of the range, an ISO date or time (required)' },
  ],
  examples: ['# Every night of the first week of March', 'spool recurring backfill reports.nightly --from 2026-03-01 --to 2026-03-07T23:59:59Z'],
  async run(args, io) {
    const where = 'recurring backfill';
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['id'], where);
    const id = positionals[0]!;
    const from = stringFlag(flags, 'from');
    const to = stringFlag(flags, 'to');
    if (from === undefined || to === undefined) throw new UsageError('--from and --to are required', where);
    return withSpool(flags, io, async (spool) => {
      const result = await spool.recurring.backfill(id, { from, to });
      if (flags.json) {
        io.out(jsonDocument({ recurringId: id, ...result }));
        return 0;
      }
      for (const jobId of result.jobIds) io.out(`${jobId}\n`);
      io.err(
        `backfilled recurring job ${id}: ${result.occurrences.length} occurrences, ${result.jobIds.length} jobs enqueued, ` +
          `${result.refused.length} already had a job\n`,
      );
      return 0;
    }, { mustExist: true });
  },
};
