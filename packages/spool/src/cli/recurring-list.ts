import type { Command } from './command.js';
import { jsonDocument, relativeTime, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, integerFlag, parseCommandLine } from './parse.js';

/** `spool recurring list`: every recurring job with its schedule. */
export const recurringListCommand: Command = {
  path: ['recurring', 'list'],
  summary: 'List recurring jobs with their schedules',
  positionals: '',
  description:
    'Shows every recurring job: its cron expression, time zone, overlap policy, next and last run,\n' +
    'and its last outcome (fired, queued, skipped because the previous run was unfinished, missed).\n' +
    'With --next or --previous, also its next runs and the previous occurrences the scheduler\n' +
    'handled, each with what became of it (in --json: "occurrences": { "next": [...], "previous":\n' +
    '[...] } on each job). See spool recurring history <id> for the whole history.',
  options: [
    { name: 'next', type: 'string', value: 'n', description: 'Also show the next n runs of each job, 0 to 100' },
    { name: 'previous', type: 'string', value: 'n', description: 'Also show the previous n occurrences of each job and their outcomes, 0 to 100' },
  ],
  examples: [
    '# All recurring jobs',
    'spool recurring list',
    '# With their next five runs and last two occurrences',
    'spool recurring list --next 5 --previous 2',
    '# As JSON',
    'spool recurring list --json',
  ],
  async run(args, io) {
    const where = 'recurring list';
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], where);
    const next = integerFlag(flags, 'next', where, { min: 0, max: 100 });
    const previous = integerFlag(flags, 'previous', where, { min: 0, max: 100 });
    const withOccurrences = next !== undefined || previous !== undefined;
    return withSpool(flags, io, async (spool) => {
      const list = await spool.recurring.list();
      const recurring = await Promise.all(
        list.map(async (r) => ({
          ...r,
          lastOutcome: (await spool.storage.recurringHistory({ id: r.id, limit: 1 }))[0] ?? null,
          ...(withOccurrences ? { occurrences: await spool.recurring.occurrences(r.id, { next: next ?? 0, previous: previous ?? 0 }) } : {}),
        })),
      );
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
        r.settings.overlap,
        r.paused ? 'paused' : relativeTime(r.nextRunAt, now),
        relativeTime(r.lastRunAt, now),
        r.lastJobId ?? '-',
        r.lastOutcome === null ? '-' : `${r.lastOutcome.event} ${relativeTime(r.lastOutcome.at, now)}`,
      ]);
      io.out(`${table(['id', 'job', 'cron', 'time zone', 'overlap', 'next run', 'last run', 'last job', 'last outcome'], rows)}\n`);
      for (const r of recurring) {
        if (r.occurrences === undefined) continue;
        const o = r.occurrences;
        if (next !== undefined) io.out(`\n${r.id}: next runs\n${o.next.map((d) => `  ${d.toISOString()}\n`).join('') || '  none\n'}`);
        if (previous !== undefined) {
          const lines = o.previous.map((p) => {
            const job = p.jobId === null ? '' : p.outcome === 'skipped' ? `  previous run ${p.jobId} was unfinished` : `  job ${p.jobId} ${p.state ?? 'expired'}`;
            const when = p.outcome === 'missed' && p.from !== null ? `${p.from.toISOString()} to ${p.occurrence.toISOString()}` : p.occurrence.toISOString();
            return `  ${when}  ${p.outcome.padEnd(7)}${job}\n`;
          });
          io.out(`${next === undefined ? '\n' : ''}${r.id}: previous occurrences\n${lines.join('') || '  none recorded\n'}`);
        }
      }
      return 0;
    }, { mustExist: true });
  },
};
