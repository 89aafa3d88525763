import type { Command } from './command.js';
import { allOptions } from './parse.js';
import { DEFAULT_STORAGE_URL, STORAGE_ENV } from './open-spool.js';
import { STORAGE_URL_EXAMPLES } from '../storage-url.js';

/** The help of one command: usage, description, options and examples. */
export function commandHelp(command: Command): string {
  const words = command.path.join(' ');
  const options = allOptions(command);
  const labels = options.map((o) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` <${o.value}>` : ''}`);
  const width = Math.max(...labels.map((l) => l.length));
  const lines = [
    `Usage: spool ${words}${command.positionals ? ` ${command.positionals}` : ''} [options]`,
    '',
    command.summary + '.',
    '',
    command.description,
    '',
    'Options:',
    ...options.map((o, i) => `  ${labels[i]!.padEnd(width)}  ${o.description}`),
    '',
    'Examples:',
    ...command.examples.map((e) => (e.startsWith('#') ? `  ${e}` : `  $ ${e}`)),
  ];
  if (command.usesStorage !== false) lines.push('', storageNote());
  return `${lines.join('\n')}\n`;
}

/** The help of a command group such as `spool jobs`. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.path[0] === group);
  const width = Math.max(...members.map((c) => c.path.join(' ').length));
  return [
    `Usage: spool ${group} <command> [options]`,
    '',
    'Commands:',
    ...members.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    `Run "spool ${group} <command> --help" for the options and examples of a command.`,
    '',
  ].join('\n');
}

/** `spool --help`: every command, the common options and examples. */
export function mainHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return [
    `spool ${version}: background jobs for Node.js, from the shell`,
    '',
    'Usage: spool <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Options every command takes:',
    '  --storage <url>  Where jobs are stored (see below)',
    '  --files <url>    Where large arguments and results are stored by reference ($SPOOL_FILES)',
    '  --json           Machine output: one JSON document on stdout',
    '  -h, --help       Help of the command, with examples',
    '',
    'Examples:',
    '  # Run the jobs defined in a module (Ctrl+C stops gracefully)',
    '  $ spool worker --jobs ./dist/jobs.js',
    '  # Enqueue a job and look at it',
    `  $ id=$(spool enqueue messages.push --args '{"userId":"u1","text":"hi"}')`,
    '  $ spool jobs get $id',
    '  # Failed jobs, then counts per state as JSON',
    '  $ spool jobs list --state failed',
    '  $ spool stats --json',
    '  # The web dashboard on http://127.0.0.1:3000/',
    '  $ spool dashboard',
    '',
    storageNote(),
    '',
    'Exit codes: 0 success, 1 error (printed as "error [CODE]: message"), 2 wrong usage.',
    'Run "spool <command> --help" for the options and examples of a command.',
    '',
  ].join('\n');
}

function storageNote(): string {
  return [
    `Storage: --storage <url>, else $${STORAGE_ENV}, else ${DEFAULT_STORAGE_URL}.`,
    `  URLs: ${STORAGE_URL_EXAMPLES.join(', ')} (memory: lives only as long as the command).`,
  ].join('\n');
}
