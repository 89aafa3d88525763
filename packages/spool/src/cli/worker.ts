import type { JobDefinition, Server } from '@spool/core';
import { parseDuration } from '@spool/core';

import { Spool } from '../spool.js';

import { redactStorageUrl, resolveStorage } from '../storage-url.js';
import type { CliIo, Command } from './command.js';
import { UsageError } from './command.js';
import { count, jsonDocument } from './format.js';
import { loadJobs } from './load-jobs.js';
import { filesUrl, storageUrl } from './open-spool.js';
import type { Flags } from './parse.js';
import { durationFlag, expectPositionals, integerFlag, listFlag, parseCommandLine, stringFlag } from './parse.js';
import type { WorkerCounts } from './status-line.js';
import { StatusLine, formatCounts } from './status-line.js';

const WHERE = 'worker';

/** `spool worker`: runs a server with the job definitions of a module until SIGTERM or SIGINT. */
export const workerCommand: Command = {
  path: ['worker'],
  summary: 'Run jobs: start a server with the job definitions of a module',
  positionals: '',
  description:
    'Imports the module given by --jobs, collects every exported job definition (made by defineJob,\n' +
    'exported by name or in a default array) and runs their jobs until SIGTERM or SIGINT (Ctrl+C).\n' +
    'On a signal it stops gracefully: it takes no new job, lets running jobs finish within the\n' +
    'shutdown timeout, then puts the rest back in their queue. A second signal exits at once.\n' +
    'On a terminal it shows a live status line: running, succeeded, failed, retried.',
  options: [
    { name: 'jobs', type: 'string', value: 'module', multiple: true, description: 'JavaScript module exporting job definitions (repeatable); required' },
    { name: 'queues', type: 'string', value: 'a,b', multiple: true, description: "Queues to serve, highest priority first (default: 'default' and every queue the definitions name)" },
    { name: 'concurrency', type: 'string', value: 'n', description: 'Jobs run at once (default 10)' },
    { name: 'name', type: 'string', value: 'name', description: 'Server name shown in the dashboard (default: the host name)' },
    { name: 'shutdown-timeout', type: 'string', value: 'duration', description: 'How long a stop waits for running jobs (default 15s)' },
    { name: 'poll-interval', type: 'string', value: 'duration', description: 'How often to look for new jobs enqueued by other processes (default 1s)' },
    { name: 'lease-time', type: 'string', value: 'duration', description: 'How long a job stays this worker’s after its last renewal, before another may rescue it (default 30s; renewed every third of it)' },
  ],
  examples: [
    '# Run every job defined in ./dist/jobs.js on the default SQLite storage',
    'spool worker --jobs ./dist/jobs.js',
    '# Two queues (critical first), 20 jobs at once',
    'spool worker --jobs ./dist/jobs.js --queues critical,default --concurrency 20',
    '# Another storage',
    'SPOOL_STORAGE=sqlite:/var/lib/app/spool.db spool worker --jobs ./dist/jobs.js',
  ],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], WHERE);
    const modules = flags.jobs as string[] | undefined;
    if (!modules || modules.length === 0) {
      throw new UsageError('missing --jobs <module>: the JavaScript module that exports your job definitions', WHERE);
    }
    const concurrency = integerFlag(flags, 'concurrency', WHERE, { min: 1, max: 10_000 });
    const shutdownTimeout = durationFlag(flags, 'shutdown-timeout', WHERE);
    const pollInterval = durationFlag(flags, 'poll-interval', WHERE);
    const leaseTime = durationFlag(flags, 'lease-time', WHERE);
    const definitions = (await Promise.all(modules.map((m) => loadJobs(m)))).flat();
    const queues = listFlag(flags, 'queues') ?? defaultQueues(definitions);
    const url = storageUrl(flags, io);
    const files = filesUrl(flags, io);
    const spool = new Spool({ storage: resolveStorage(url), jobs: unique(definitions), ...(files !== undefined ? { files } : {}) });
    // Listen for signals before the server starts: one that arrives while it starts (it may already
    // be running a job) stops it gracefully instead of killing the process.
    const stopSignal = new StopSignal();
    try {
      await spool.init();
      const server = await spool.startServer({
        queues,
        handleSignals: false,
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(shutdownTimeout !== undefined ? { shutdownTimeout } : {}),
        ...(pollInterval !== undefined ? { pollInterval } : {}),
        ...(leaseTime !== undefined ? { leaseTime, leaseRenewInterval: Math.max(100, Math.floor(leaseMs(leaseTime) / 3)) } : {}),
        ...(stringFlag(flags, 'name') !== undefined ? { name: stringFlag(flags, 'name') } : {}),
      });
      const result = await runUntilSignal(server, spool, url, flags, io, stopSignal.received);
      if (flags.json) io.out(jsonDocument(result));
      return 0;
    } finally {
      stopSignal.dispose();
      await spool.close();
    }
  },
};

/** 'default' first, then every other queue the definitions name, in the order they appear. */
function defaultQueues(definitions: readonly JobDefinition[]): string[] {
  return [...new Set(['default', ...definitions.map((d) => d.options.queue)])];
}

function unique(definitions: readonly JobDefinition[]): JobDefinition[] {
  return [...new Set(definitions)];
}

/** The first SIGTERM or SIGINT, listened for from construction until it arrives or {@link dispose}. */
class StopSignal {
  readonly received: Promise<NodeJS.Signals>;
  private readonly onSignal: (signal: NodeJS.Signals) => void;

  constructor() {
    let resolve!: (signal: NodeJS.Signals) => void;
    this.received = new Promise((r) => (resolve = r));
    this.onSignal = (signal) => {
      this.dispose();
      resolve(signal);
    };
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
  }

  dispose(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
  }
}

async function runUntilSignal(server: Server, spool: Spool, url: string, flags: Flags, io: CliIo, stopSignal: Promise<NodeJS.Signals>) {
  const counts: WorkerCounts = { running: 0, succeeded: 0, failed: 0, retried: 0, requeued: 0 };
  const status = new StatusLine(io, () => formatCounts({ ...counts, running: server.runningCount }));
  server.events.on('job:succeeded', () => (counts.succeeded += 1));
  server.events.on('job:retry-scheduled', () => (counts.retried += 1));
  server.events.on('job:requeued', () => (counts.requeued += 1));
  server.events.on('job:failed', ({ job, error }) => {
    counts.failed += 1;
    status.print(`failed: ${job.name} ${job.id}: ${error.message} (attempt ${job.attempt} of ${job.maxAttempts}; no retries left)`);
  });
  server.events.on('error', ({ process, error }) => {
    const message = error instanceof Error ? error.message : String(error);
    status.print(`warning: ${process}: ${message}`);
  });
  const names = server.jobNames;
  const o = server.options;
  io.err(
    `spool worker ${server.id} started\n` +
      `  storage      ${redactStorageUrl(url)}\n` +
      (spool.files ? `  files        ${spool.files.description}\n` : '') +
      `  queues       ${o.queues.join(', ')}\n` +
      `  concurrency  ${o.concurrency}\n` +
      `  jobs         ${names.join(', ')}\n` +
      'Stop with Ctrl+C or SIGTERM.\n',
  );
  status.start();

  const signal = await stopSignal;
  const forceExit = (received: NodeJS.Signals) => {
    status.stop();
    io.err(`\n${received} again: exiting without waiting; running jobs return to their queue when their lease expires\n`);
    process.exit(130);
  };
  process.once('SIGTERM', forceExit);
  process.once('SIGINT', forceExit);
  status.print(
    `${signal}: stopping; ${server.runningCount > 0 ? `waiting up to ${o.shutdownTimeout / 1000}s for ${server.runningCount} running job(s)` : 'no job is running'} (send ${signal} again to exit at once)`,
  );
  await server.stop();
  status.stop();
  process.off('SIGTERM', forceExit);
  process.off('SIGINT', forceExit);
  io.err(`stopped: succeeded ${count(counts.succeeded)}, failed ${count(counts.failed)}, retried ${count(counts.retried)}, requeued ${count(counts.requeued)}\n`);
  return { serverId: server.id, signal, queues: [...o.queues], concurrency: o.concurrency, jobs: names, ...counts, running: 0 };
}

/** A duration flag already checked by `durationFlag`, in milliseconds. */
function leaseMs(text: string): number {
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : 0;
}
