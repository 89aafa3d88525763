#!/usr/bin/env node
/** The `spool` executable: runs the CLI on this process's arguments and streams, then exits. */
import type { CliIo } from './command.js';
import { runCli } from './run-cli.js';

const io: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
  stdoutIsTty: process.stdout.isTTY === true,
  columns: process.stderr.columns || 80,
  env: process.env,
  now: () => Date.now(),
};

const code = await runCli(process.argv.slice(2), io);
// Exit explicitly once the output is written: a jobs module or a driver may keep handles open.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
