import type { Command } from './command.js';
import { jsonDocument } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

/** `spool recurring trigger <id>`: creates one job from a recurring job now. */
export const recurringTriggerCommand: Command = {
  path: ['recurring', 'trigger'],
  summary: 'Run a recurring job now (its schedule stays as it is)',
  positionals: '<id>',
  description: 'Creates one job from the recurring job right away and prints its id. The next scheduled run is unchanged.',
  options: [],
  examples: ['# Run the nightly report now', 'spool recurring trigger reports.nightly'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['id'], 'recurring trigger');
    const id = positionals[0]!;
    return withSpool(flags, io, async (spool) => {
      const jobId = await spool.recurring.trigger(id);
      if (flags.json) io.out(jsonDocument({ recurringId: id, jobId }));
      else io.out(`${jobId}\n`);
      if (!flags.json) io.err(`triggered recurring job ${id}: job ${jobId} enqueued (see: spool jobs get ${jobId})\n`);
      return 0;
    }, { mustExist: true });
  },
};
