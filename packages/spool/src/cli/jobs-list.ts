import type { Command } from './command.js';
import { colours, paintState } from './colours.js';
import { jsonDocument, relativeTime, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, integerFlag, parseCommandLine, stateFlag, stringFlag } from './parse.js';

/** Jobs per page when `--limit` is not given. */
const DEFAULT_LIMIT = 20;

/** `spool jobs list`: jobs filtered by state, queue, name or text, newest first, a page at a time. */
export const jobsListCommand: Command = {
  path: ['jobs', 'list'],
  summary: 'List jobs, newest first, filtered by state, queue, name or text',
  positionals: '',
  description:
    'Lists one page of jobs, newest first. When more jobs match, the last line gives the --cursor\n' +
    'that continues the list (in --json: "nextCursor").',
  options: [
    { name: 'state', type: 'string', value: 'state', description: 'Only jobs in this state: scheduled, enqueued, awaiting, processing, succeeded, failed, deleted' },
    { name: 'queue', type: 'string', value: 'name', description: 'Only jobs of this queue' },
    { name: 'name', type: 'string', value: 'job', description: 'Only jobs of this job name' },
    { name: 'search', type: 'string', value: 'text', description: 'A job id, or text found in the job name or its arguments' },
    { name: 'limit', type: 'string', value: 'n', description: `Jobs per page, 1 to 1000 (default ${DEFAULT_LIMIT})` },
    { name: 'cursor', type: 'string', value: 'cursor', description: 'Continue a previous list from its cursor' },
  ],
  examples: [
    '# The 20 newest jobs',
    'spool jobs list',
    '# Failed jobs of one queue',
    'spool jobs list --state failed --queue emails',
    '# Jobs whose arguments mention a user, as JSON',
    'spool jobs list --search user-42 --json',
  ],
  async run(args, io) {
    const where = 'jobs list';
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], where);
    const state = stateFlag(flags, 'state', where);
    const limit = integerFlag(flags, 'limit', where, { min: 1, max: 1000 }) ?? DEFAULT_LIMIT;
    return withSpool(flags, io, async (spool) => {
      const page = await spool.storage.monitoring.jobsList({
        state,
        queue: stringFlag(flags, 'queue'),
        name: stringFlag(flags, 'name'),
        search: stringFlag(flags, 'search'),
        limit,
        cursor: stringFlag(flags, 'cursor') ?? null,
      });
      if (flags.json) {
        io.out(jsonDocument(page));
        return 0;
      }
      if (page.jobs.length === 0) {
        io.out('no jobs match\n');
        return 0;
      }
      const now = io.now();
      const paint = colours(io, 'out');
      const rows = page.jobs.map((job) => [
        job.id,
        job.name,
        job.queue,
        paintState(paint, job.state),
        `${job.attempt}/${job.maxAttempts}`,
        relativeTime(job.createdAt, now),
        relativeTime(job.updatedAt, now),
      ]);
      io.out(`${table(['id', 'name', 'queue', 'state', 'attempt', 'created', 'updated'], rows)}\n`);
      if (page.nextCursor) io.out(`\nmore jobs: add --cursor ${page.nextCursor}\n`);
      return 0;
    }, { mustExist: true });
  },
};
