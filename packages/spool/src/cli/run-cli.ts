import { readFileSync } from 'node:fs';

import { closest } from '@spool/core/storage-kit';

import type { CliIo, Command } from './command.js';
import { UsageError } from './command.js';
import { dashboardCommand } from './dashboard.js';
import { enqueueCommand } from './enqueue.js';
import { commandHelp, groupHelp, mainHelp } from './help.js';
import { deadLettersGroupsCommand, deadLettersListCommand, deadLettersRedriveCommand } from './dead-letters.js';
import { jobsActionCommand } from './jobs-action.js';
import { jobsChangeCommand, jobsRunNowCommand } from './jobs-change.js';
import { jobsGetCommand } from './jobs-get.js';
import { jobsListCommand } from './jobs-list.js';
import { metricsCommand } from './metrics.js';
import { migrateCommand } from './migrate.js';
import { recurringBackfillCommand } from './recurring-backfill.js';
import { recurringHistoryCommand } from './recurring-history.js';
import { recurringListCommand } from './recurring-list.js';
import { recurringStateCommand } from './recurring-state.js';
import { queuePauseCommand, queuesListCommand } from './queues.js';
import { limitsClearCommand, limitsListCommand, limitsSetCommand } from './limits.js';
import { recurringTriggerCommand } from './recurring-trigger.js';
import { reportError } from './report-error.js';
import { statsCommand } from './stats.js';
import { workerCommand } from './worker.js';

/** Every command, in the order `spool --help` lists them. */
export const COMMANDS: readonly Command[] = [
  workerCommand,
  enqueueCommand,
  jobsListCommand,
  jobsGetCommand,
  jobsActionCommand('retry'),
  jobsActionCommand('requeue'),
  jobsActionCommand('delete'),
  jobsChangeCommand,
  jobsRunNowCommand,
  deadLettersListCommand,
  deadLettersGroupsCommand,
  deadLettersRedriveCommand,
  statsCommand,
  queuesListCommand,
  queuePauseCommand(true),
  queuePauseCommand(false),
  limitsListCommand,
  limitsSetCommand,
  limitsClearCommand,
  recurringListCommand,
  recurringTriggerCommand,
  recurringBackfillCommand,
  recurringHistoryCommand,
  recurringStateCommand('pause'),
  recurringStateCommand('resume'),
  recurringStateCommand('remove'),
  dashboardCommand,
  metricsCommand,
  migrateCommand,
];

const GROUPS = new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]!));

/** Runs the CLI with the given arguments; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return reportError(error, io);
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, second] = argv;
  if (first === undefined) {
    io.err(mainHelp(COMMANDS, version()));
    return 2;
  }
  if (first === '--help' || first === '-h') {
    io.out(mainHelp(COMMANDS, version()));
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(`${version()}\n`);
    return 0;
  }
  if (first === 'help') return dispatch([...argv.slice(1), '--help'], io);
  if (GROUPS.has(first)) {
    if (second === undefined) {
      io.err(groupHelp(first, COMMANDS));
      return 2;
    }
    if (second === '--help' || second === '-h') {
      io.out(groupHelp(first, COMMANDS));
      return 0;
    }
    const command = COMMANDS.find((c) => c.path[0] === first && c.path[1] === second);
    if (!command) {
      const known = COMMANDS.filter((c) => c.path[0] === first).map((c) => c.path[1]!);
      const suggestion = closest(second, known);
      throw new UsageError(`unknown command "${first} ${second}"${suggestion ? `; did you mean "${first} ${suggestion}"?` : ''}`, first);
    }
    return runCommand(command, argv.slice(2), io);
  }
  const command = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === first);
  if (!command) {
    const suggestion = closest(first, [...COMMANDS.map((c) => c.path[0]!), 'help']);
    throw new UsageError(`unknown command "${first}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`);
  }
  return runCommand(command, argv.slice(1), io);
}

function runCommand(command: Command, args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(commandHelp(command));
    return Promise.resolve(0);
  }
  return command.run(args, io);
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
