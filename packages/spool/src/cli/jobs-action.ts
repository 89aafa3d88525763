import type { JobRecord, JobState, JobsListParams, Spool } from '@spool/core';
import { JobNotFoundError, sourcesOf } from '@spool/core';

import type { Command } from './command.js';
import { UsageError } from './command.js';
import { colours, paintState } from './colours.js';
import { count, jsonDocument, table } from './format.js';
import { withSpool } from './open-spool.js';
import type { Flags } from './parse.js';
import { integerFlag, parseCommandLine, stateFlag, stringFlag } from './parse.js';

/** An operator action on jobs, as the client offers it. */
type JobAction = 'retry' | 'requeue' | 'delete';

/** What each action is called in messages, and the states it applies to. */
const ACTIONS: Record<JobAction, { done: string; from: readonly JobState[]; apply: (spool: Spool, id: string) => Promise<boolean> }> = {
  retry: { done: 'retried', from: ['failed'], apply: (spool, id) => spool.retry(id, 'Retried from the command line') },
  requeue: { done: 'requeued', from: sourcesOf('enqueued'), apply: (spool, id) => spool.requeue(id, 'Requeued from the command line') },
  delete: { done: 'deleted', from: ['scheduled', 'enqueued', 'awaiting', 'processing', 'succeeded', 'failed'], apply: (spool, id) => spool.delete(id, 'Deleted from the command line') },
};

/** Jobs changed by one filtered run when `--limit` is not given. */
const DEFAULT_LIMIT = 1000;
/** Jobs read per monitoring call while collecting a filter's matches. */
const PAGE = 500;

/** One job's outcome in the command's report. */
interface ActionOutcome {
  id: string;
  name: string | null;
  queue: string | null;
  state: JobState | null;
  /** `changed`, `would change` (dry run), `skipped` (not in a state the action applies to), `not found`. */
  outcome: 'changed' | 'would change' | 'skipped' | 'not found';
}

/** `spool jobs retry|requeue|delete`: by id, or every job matching a filter, with `--dry-run`. */
export function jobsActionCommand(action: JobAction): Command {
  const { done, from } = ACTIONS[action];
  const where = `jobs ${action}`;
  return {
    path: ['jobs', action],
    summary: `${capitalise(action)} jobs by id, or every job matching a filter`,
    positionals: '[<id>...]',
    description:
      `${capitalise(done)} jobs through the client, as the dashboard does (applies to jobs that are ${from.join(', ')}).\n` +
      'Give job ids, or a filter: --state, --queue, --name, --search. A filter acts on at most --limit\n' +
      'matching jobs, newest first; --dry-run lists them and changes nothing.',
    options: [
      { name: 'state', type: 'string', value: 'state', description: `Only jobs in this state${action === 'retry' ? ' (retry: failed, the default)' : ''}` },
      { name: 'queue', type: 'string', value: 'name', description: 'Only jobs of this queue' },
      { name: 'name', type: 'string', value: 'job', description: 'Only jobs of this job name' },
      { name: 'search', type: 'string', value: 'text', description: 'A job id, or text found in the job name or its arguments' },
      { name: 'limit', type: 'string', value: 'n', description: `At most this many jobs per run with a filter, 1 to 100000 (default ${DEFAULT_LIMIT})` },
      { name: 'dry-run', type: 'boolean', description: 'Show what would change, change nothing' },
    ],
    examples: [
      `# ${capitalise(action)} one job`,
      `spool jobs ${action} 01890a5d-ac96-774b-bcce-b302099a8057`,
      `# What ${action} would do to the failed jobs of one job name`,
      `spool jobs ${action} --state failed --name emails.send --dry-run`,
      `# ${capitalise(action)} them, as JSON`,
      `spool jobs ${action} --state failed --name emails.send --json`,
    ],
    async run(args, io) {
      const { flags, positionals } = parseCommandLine(this, args);
      const filter = filterOf(flags, where, action);
      if (positionals.length > 0 && filter !== null) throw new UsageError('give job ids or a filter, not both', where);
      if (positionals.length === 0 && filter === null) {
        throw new UsageError('give job ids, or a filter (--state, --queue, --name, --search) for the jobs to act on', where);
      }
      const limit = integerFlag(flags, 'limit', where, { min: 1, max: 100_000 }) ?? DEFAULT_LIMIT;
      const dryRun = flags['dry-run'] === true;
      return withSpool(flags, io, async (spool) => {
        const targets = filter === null ? await byId(spool, positionals) : await matching(spool, filter, limit);
        const outcomes: ActionOutcome[] = [];
        for (const target of targets.jobs) outcomes.push(await act(spool, action, target, dryRun));
        const tally = (o: ActionOutcome['outcome']) => outcomes.filter((x) => x.outcome === o).length;
        const summary = { action, dryRun, matched: targets.jobs.filter((j) => j.job !== null).length, changed: tally('changed'), wouldChange: tally('would change'), skipped: tally('skipped'), notFound: tally('not found'), more: targets.more };
        if (flags.json) {
          io.out(jsonDocument({ ...summary, jobs: outcomes }));
        } else {
          const paint = colours(io, 'out');
          if (outcomes.length > 0) {
            const mark = (o: ActionOutcome['outcome']) => (o === 'changed' ? paint.green(o) : o === 'would change' ? paint.yellow(o) : paint.dim(o));
            io.out(`${table(['id', 'name', 'queue', 'state', 'outcome'], outcomes.map((o) => [o.id, o.name ?? '-', o.queue ?? '-', o.state ? paintState(paint, o.state) : '-', mark(o.outcome)]))}\n\n`);
          }
          const head = dryRun ? `would ${action} ${count(summary.wouldChange)} jobs (dry run: nothing changed)` : `${done} ${count(summary.changed)} jobs`;
          const notes = [summary.skipped > 0 ? `${count(summary.skipped)} skipped: not ${from.join(', ')}` : '', summary.notFound > 0 ? `${count(summary.notFound)} not found` : ''].filter(Boolean);
          io.out(`${head}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}\n`);
          if (targets.more) io.out(`more jobs match: run again, or raise --limit (${limit})\n`);
        }
        // By id, every id is asked for by name: one that was not changed is a failure a script should see.
        if (filter === null && outcomes.some((o) => o.outcome === 'skipped' || o.outcome === 'not found')) return 1;
        return 0;
      }, { mustExist: true });
    },
  };
}

type Filter = Omit<JobsListParams, 'limit' | 'cursor'>;

function filterOf(flags: Flags, where: string, action: JobAction): Filter | null {
  const filter: Filter = {
    state: stateFlag(flags, 'state', where),
    queue: stringFlag(flags, 'queue'),
    name: stringFlag(flags, 'name'),
    search: stringFlag(flags, 'search'),
  };
  const given = Object.values(filter).some((v) => v !== undefined);
  if (!given) return null;
  if (action === 'retry') {
    if (filter.state !== undefined && filter.state !== 'failed') throw new UsageError(`only failed jobs can be retried, got --state ${filter.state}`, where);
    filter.state = 'failed';
  }
  return filter;
}

interface Targets {
  jobs: Array<{ id: string; job: JobRecord | null }>;
  more: boolean;
}

async function byId(spool: Spool, ids: readonly string[]): Promise<Targets> {
  const jobs = await Promise.all([...new Set(ids)].map(async (id) => ({ id, job: await spool.storage.jobGet({ id }) })));
  return { jobs, more: false };
}

/** The matching jobs, collected before any changes (a change moves a job out of a state filter's pages). */
async function matching(spool: Spool, filter: Filter, limit: number): Promise<Targets> {
  const jobs: Targets['jobs'] = [];
  let cursor: string | null = null;
  do {
    const page = await spool.storage.monitoring.jobsList({ ...filter, limit: Math.min(PAGE, limit - jobs.length), cursor });
    for (const job of page.jobs) jobs.push({ id: job.id, job });
    cursor = page.nextCursor;
  } while (cursor !== null && jobs.length < limit);
  return { jobs, more: cursor !== null };
}

async function act(spool: Spool, action: JobAction, target: Targets['jobs'][number], dryRun: boolean): Promise<ActionOutcome> {
  const { id, job } = target;
  const base = { id, name: job?.name ?? null, queue: job?.queue ?? null, state: job?.state ?? null };
  if (job === null) return { ...base, outcome: 'not found' };
  if (dryRun) return { ...base, outcome: ACTIONS[action].from.includes(job.state) ? 'would change' : 'skipped' };
  try {
    return { ...base, outcome: (await ACTIONS[action].apply(spool, id)) ? 'changed' : 'skipped' };
  } catch (error) {
    // Expired or removed since it was read.
    if (error instanceof JobNotFoundError) return { ...base, outcome: 'not found' };
    throw error;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
