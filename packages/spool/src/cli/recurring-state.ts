import { RecurringNotFoundError } from '@spool/core';

import type { Command } from './command.js';
import { jsonDocument } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

type RecurringVerb = 'pause' | 'resume' | 'remove';

const TEXT: Record<RecurringVerb, { summary: string; description: string; done: string; example: string }> = {
  pause: { summary: 'Pause a recurring job: no occurrence fires until it is resumed', description: 'Its jobs already created are not touched.', done: 'paused', example: '# Pause the nightly report' },
  resume: { summary: 'Resume a paused recurring job from its next occurrence', description: 'Occurrences missed while it was paused are skipped.', done: 'resumed', example: '# Resume the nightly report' },
  remove: { summary: 'Remove a recurring job', description: 'The schedule is removed; jobs it created before stay as they are.', done: 'removed', example: '# Remove the nightly report' },
};

/** `spool recurring pause|resume|remove <id>`. */
export function recurringStateCommand(verb: RecurringVerb): Command {
  const text = TEXT[verb];
  return {
    path: ['recurring', verb],
    summary: text.summary,
    positionals: '<id>',
    description: text.description,
    options: [],
    examples: [text.example, `spool recurring ${verb} reports.nightly`],
    async run(args, io) {
      const { flags, positionals } = parseCommandLine(this, args);
      expectPositionals(positionals, ['id'], `recurring ${verb}`);
      const id = positionals[0]!;
      return withSpool(flags, io, async (spool) => {
        if (verb === 'pause') await spool.recurring.pause(id);
        else if (verb === 'resume') await spool.recurring.resume(id);
        else if (!(await spool.recurring.remove(id))) throw new RecurringNotFoundError(id);
        const record = verb === 'remove' ? null : await spool.recurring.get(id);
        if (flags.json) io.out(jsonDocument({ id, [text.done]: true, ...(record ? { paused: record.paused, nextRunAt: record.nextRunAt } : {}) }));
        else io.out(`${text.done} recurring job ${id}${record?.nextRunAt ? ` (next run ${record.nextRunAt.toISOString()})` : ''}\n`);
        return 0;
      }, { mustExist: true });
    },
  };
}
