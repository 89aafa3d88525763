import type { DeadLetterFilter, Spool } from '@spool/core';

import type { Command } from './command.js';
import { UsageError } from './command.js';
import { colours, paintState } from './colours.js';
import { count, inlineJson, jsonDocument, relativeTime, table } from './format.js';
import { withSpool } from './open-spool.js';
import type { Flags } from './parse.js';
import { integerFlag, parseCommandLine, stringFlag } from './parse.js';

/** The options that narrow which dead letters a command is about. */
const FILTER_OPTIONS = [
  { name: 'name', type: 'string', value: 'job', description: 'Only dead letters of this job name' },
  { name: 'error-name', type: 'string', value: 'name', description: "Only those whose error has this name (its type: TypeError, HttpError)" },
  { name: 'message', type: 'string', value: 'text', description: "Only those whose error message holds this text (case-sensitive)" },
  { name: 'since', type: 'string', value: 'time', description: 'Only those dead-lettered at or after this time (ISO 8601)' },
  { name: 'until', type: 'string', value: 'time', description: 'Only those dead-lettered at or before this time (ISO 8601)' },
] as const;

/** `spool dead-letters list`: dead letters matching a filter, newest first. */
export const deadLettersListCommand: Command = {
  path: ['dead-letters', 'list'],
  summary: 'List dead letters by job name, error and time',
  positionals: '',
  description:
    "Lists dead letters (failed jobs whose definition routes them there: onExhausted: 'dead-letter'),\n" +
    'newest first, with the error each died of. See docs/dead-letters.md.',
  options: [...FILTER_OPTIONS, { name: 'limit', type: 'string', value: 'n', description: 'At most this many, 1 to 10000 (default 50)' }],
  examples: ['# The dead letters of one job name', 'spool dead-letters list --name payments.charge', '# Those that timed out, as JSON', 'spool dead-letters list --error-name TimeoutError --json'],
  async run(args, io) {
    const where = 'dead-letters list';
    const { flags } = parseCommandLine(this, args);
    const filter = filterOf(flags, where);
    const limit = integerFlag(flags, 'limit', where, { min: 1, max: 10_000 }) ?? 50;
    return withSpool(flags, io, async (spool) => {
      const { jobs, nextCursor } = await spool.deadLetters.list({ ...filter, limit });
      if (flags.json) {
        io.out(jsonDocument({ jobs, more: nextCursor !== null }));
        return 0;
      }
      if (jobs.length === 0) {
        io.out('no dead letters\n');
        return 0;
      }
      const now = io.now();
      const rows = jobs.map((job) => [job.id, job.name, job.queue, job.error?.name ?? '-', job.error?.message ?? '-', relativeTime(job.deadLetteredAt, now), inlineJson(job.args, 40)]);
      io.out(`${table(['id', 'name', 'queue', 'error', 'message', 'dead-lettered', 'args'], rows)}\n`);
      if (nextCursor !== null) io.out(`more dead letters match: narrow the filter or raise --limit (${limit})\n`);
      return 0;
    }, { mustExist: true });
  },
};

/** `spool dead-letters groups`: dead letters counted by job name and error name. */
export const deadLettersGroupsCommand: Command = {
  path: ['dead-letters', 'groups'],
  summary: 'Count dead letters by job name and error',
  positionals: '',
  description: 'Counts dead letters by job name and error name, the largest groups first.',
  options: [
    { name: 'name', type: 'string', value: 'job', description: 'Only dead letters of this job name' },
    { name: 'limit', type: 'string', value: 'n', description: 'At most this many groups, 1 to 10000 (default 100)' },
  ],
  examples: ['# What is piling up', 'spool dead-letters groups'],
  async run(args, io) {
    const where = 'dead-letters groups';
    const { flags } = parseCommandLine(this, args);
    const name = stringFlag(flags, 'name');
    const limit = integerFlag(flags, 'limit', where, { min: 1, max: 10_000 }) ?? 100;
    return withSpool(flags, io, async (spool) => {
      const groups = await spool.deadLetters.groups({ ...(name !== undefined ? { name } : {}), limit });
      if (flags.json) {
        io.out(jsonDocument({ groups }));
        return 0;
      }
      if (groups.length === 0) {
        io.out('no dead letters\n');
        return 0;
      }
      const now = io.now();
      io.out(`${table(['name', 'error', 'count', 'latest'], groups.map((g) => [g.name, g.errorName || '-', count(g.count), relativeTime(g.lastAt, now)]))}\n`);
      return 0;
    }, { mustExist: true });
  },
};

/** `spool dead-letters redrive`: back to their queues, by id (one with edited arguments) or by filter. */
export const deadLettersRedriveCommand: Command = {
  path: ['dead-letters', 'redrive'],
  summary: 'Redrive dead letters: one (optionally with edited arguments), some ids, or all matching a filter',
  positionals: '[<id>...]',
  description:
    'Moves dead letters back to their queues as fresh jobs (attempts start over), keeping their history.\n' +
    'Give ids, or --all with an optional filter. --args replaces the arguments of one job (JSON); its\n' +
    'history keeps the originals. A job that is no longer a dead letter is skipped and reported.',
  options: [
    ...FILTER_OPTIONS,
    { name: 'all', type: 'boolean', description: 'Every dead letter matching the filter (all of them without one)' },
    { name: 'args', type: 'string', value: 'json', description: 'New arguments for the one job given, as JSON' },
    { name: 'reason', type: 'string', value: 'text', description: 'The reason written in each job\'s history' },
  ],
  examples: [
    '# Redrive one job with fixed arguments',
    `spool dead-letters redrive 01890a5d-ac96-774b-bcce-b302099a8057 --args '{"card":"4242"}'`,
    '# Redrive every dead letter of one job name that timed out',
    'spool dead-letters redrive --all --name payments.charge --error-name TimeoutError',
  ],
  async run(args, io) {
    const where = 'dead-letters redrive';
    const { flags, positionals } = parseCommandLine(this, args);
    const filter = filterOf(flags, where);
    const all = flags.all === true;
    const argsText = stringFlag(flags, 'args');
    const reason = stringFlag(flags, 'reason') ?? 'Redriven from the command line';
    if (all && positionals.length > 0) throw new UsageError('give job ids or --all, not both', where);
    if (!all && positionals.length === 0) throw new UsageError('give job ids, or --all (with --name, --error-name, --message, --since, --until to narrow it)', where);
    if (!all && Object.keys(filter).length > 0) throw new UsageError('a filter (--name, --error-name, ...) needs --all', where);
    if (argsText !== undefined && positionals.length !== 1) throw new UsageError('--args edits the arguments of one job: give exactly one id', where);
    const edited = argsText === undefined ? undefined : parseArgsJson(argsText, where);
    return withSpool(flags, io, async (spool: Spool) => {
      const target = all ? { filter } : positionals.length === 1 ? { id: positionals[0]!, ...(edited !== undefined ? { args: edited.value } : {}) } : { ids: positionals };
      const report = await spool.deadLetters.redrive(target, { reason });
      if (flags.json) {
        io.out(jsonDocument(report));
      } else {
        const paint = colours(io, 'out');
        if (report.skipped.length > 0) {
          io.out(`${table(['id', 'state', 'outcome'], report.skipped.map((s) => [s.id, s.state ? paintState(paint, s.state) : '-', paint.dim(s.state === null ? 'not found' : 'skipped: not a dead letter')]))}\n\n`);
        }
        io.out(`redrove ${count(report.redriven)} jobs${report.skipped.length > 0 ? `; ${count(report.skipped.length)} skipped` : ''}\n`);
      }
      // Ids are asked for by name: one that was not redriven is a failure a script should see.
      return !all && report.skipped.length > 0 ? 1 : 0;
    }, { mustExist: true });
  },
};

function filterOf(flags: Flags, where: string): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const name = stringFlag(flags, 'name');
  const errorName = stringFlag(flags, 'error-name');
  const message = stringFlag(flags, 'message');
  if (name !== undefined) filter.name = name;
  if (errorName !== undefined) filter.errorName = errorName;
  if (message !== undefined) filter.message = message;
  const since = timeFlag(flags, 'since', where);
  const until = timeFlag(flags, 'until', where);
  if (since !== undefined) filter.from = since;
  if (until !== undefined) filter.to = until;
  return filter;
}

function timeFlag(flags: Flags, name: string, where: string): Date | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--${name} expects a time such as 2026-12-01 or 2026-12-01T08:00:00Z, got ${JSON.stringify(text)}`, where);
  return at;
}

function parseArgsJson(text: string, where: string): { value: unknown } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    throw new UsageError(`--args expects JSON, got ${JSON.stringify(text)} (${error instanceof Error ? error.message : String(error)})`, where);
  }
}
