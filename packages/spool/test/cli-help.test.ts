import { describe, expect, it } from 'vitest';

import { runCli } from './cli-harness.js';

describe('spool --help', () => {
  it('lists every command with examples and the storage options', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['worker', 'enqueue', 'jobs list', 'jobs get', 'stats', 'recurring list', 'recurring trigger', 'migrate']) {
      expect(run.stdout).toContain(command);
    }
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--storage <url>');
    expect(run.stdout).toContain('SPOOL_STORAGE');
    expect(run.stdout).toContain('sqlite:./data/spool.db');
  });

  it('prints the help of a command with its options and examples', async () => {
    const run = await runCli(['enqueue', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: spool enqueue <name> \[options\]/);
    for (const option of ['--args <json>', '--queue <name>', '--delay <duration>', '--priority <n>', '--unique-key <key>', '--file <path>', '--json']) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toContain('$ spool enqueue messages.push');
  });

  it('prints the help of a subcommand, also through "spool help"', async () => {
    const direct = await runCli(['jobs', 'get', '--help']);
    const viaHelp = await runCli(['help', 'jobs', 'get']);
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain('Usage: spool jobs get <id>');
    expect(viaHelp.stdout).toBe(direct.stdout);
  });

  it('lists the commands of a group', async () => {
    const run = await runCli(['recurring', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('recurring list');
    expect(run.stdout).toContain('recurring trigger');
  });

  it('prints the help on stderr with exit code 2 when no command is given', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Usage: spool <command>');
  });
});

describe('usage errors', () => {
  it('suggests the closest command for a mistyped one and exits with code 2', async () => {
    const run = await runCli(['stat']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [ERR_USAGE]: unknown command "stat"; did you mean "stats"?');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('suggests the closest option for a mistyped one', async () => {
    const run = await runCli(['jobs', 'list', '--stat', 'failed', '--storage', 'memory:']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --stat; did you mean --state?');
    expect(run.stderr).toContain('spool jobs list --help');
  });

  it('rejects a state that does not exist, naming the valid ones', async () => {
    const run = await runCli(['jobs', 'list', '--state', 'done', '--storage', 'memory:']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--state expects one of scheduled, enqueued, awaiting, processing, succeeded, failed, deleted');
  });

  it('rejects arguments that are not JSON', async () => {
    const run = await runCli(['enqueue', 'x.y', '--args', '{bad', '--storage', 'memory:']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [ERR_USAGE]: --args is not valid JSON');
  });

  it('rejects a malformed delay', async () => {
    const run = await runCli(['enqueue', 'x.y', '--delay', 'soon', '--storage', 'memory:']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--delay: expected a duration');
  });

  it('requires the positional arguments of a command', async () => {
    const run = await runCli(['jobs', 'get', '--storage', 'memory:']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing <id>');
  });
});
