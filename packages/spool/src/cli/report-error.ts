import { SpoolError } from '@spool/core';

import { colours } from './colours.js';
import type { CliIo } from './command.js';
import { CliError, UsageError } from './command.js';

/**
 * Prints an error as `error [CODE]: message` on standard error and returns the exit code: 2 for
 * usage errors, 1 otherwise. Spool and CLI errors never show a stack trace; an unexpected error
 * (a bug) does, so that it can be reported.
 */
export function reportError(error: unknown, io: CliIo): number {
  const { red } = colours(io, 'err');
  if (error instanceof UsageError) {
    const help = error.command ? `spool ${error.command} --help` : 'spool --help';
    io.err(`${red('error')} [${error.code}]: ${error.message}\nRun "${help}" for usage and examples.\n`);
    return 2;
  }
  if (error instanceof SpoolError || error instanceof CliError) {
    io.err(`${red('error')} [${error.code}]: ${error.message}\n`);
    return 1;
  }
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (error instanceof Error && typeof code === 'string') {
    io.err(`${red('error')} [${code}]: ${error.message}\n`);
    return 1;
  }
  io.err(`${red('error')}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}
