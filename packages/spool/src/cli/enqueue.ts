import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import type { EnqueueOptions, JobDefinition } from '@spool/core';

import type { Spool } from '../spool.js';
import type { CliIo, Command } from './command.js';
import { CliError, UsageError } from './command.js';
import { count, jsonDocument } from './format.js';
import { serverNotes } from './jobs-get.js';
import { loadJobs } from './load-jobs.js';
import { withSpool } from './open-spool.js';
import type { Flags } from './parse.js';
import { durationFlag, expectPositionals, integerFlag, jsonFlag, parseCommandLine, stringFlag, timeFlag } from './parse.js';
import { ProgressBar } from './progress-bar.js';

const WHERE = 'enqueue';
/** Jobs per storage call when enqueueing from a file. */
const DEFAULT_BATCH = 500;

/** `spool enqueue <name>`: enqueues one job, or many from an NDJSON file. */
export const enqueueCommand: Command = {
  path: ['enqueue'],
  summary: 'Enqueue a job by name, or many from an NDJSON file',
  positionals: '<name>',
  description:
    'Enqueues a job of the given name with JSON arguments and prints its id. A server that has the\n' +
    'job definition (spool worker --jobs <module>) runs it.\n' +
    '\n' +
    "With --jobs <module>, the job gets the options of its definition (its queue, attempts, timeout,\n" +
    'retry policy). Without the definition, say where and how it runs: --queue, --attempts and\n' +
    '--timeout (none for no limit) are required, so that a job never lands with defaults in a queue\n' +
    'that no server of it reads.\n' +
    '\n' +
    'With --file, every non-empty line of the file is the JSON arguments of one job; jobs are stored\n' +
    'in batches (one storage call each). Use --file - to read standard input.',
  options: [
    { name: 'args', type: 'string', value: 'json', description: 'The job arguments as JSON (default: null)' },
    { name: 'queue', type: 'string', value: 'name', description: "Queue (default: the job's queue)" },
    { name: 'priority', type: 'string', value: 'n', description: 'Higher runs first within the queue (default 0)' },
    { name: 'delay', type: 'string', value: 'duration', description: 'Run after this delay: 30s, 10m, 2h, 1d' },
    { name: 'at', type: 'string', value: 'time', description: 'Run at this time (ISO 8601, e.g. 2030-01-01T09:00:00Z)' },
    { name: 'attempts', type: 'string', value: 'n', description: "Runs in total including retries (default: the job's attempts)" },
    { name: 'timeout', type: 'string', value: 'duration', description: "Longest run of one attempt: 30s, 5m, or none (default: the job's timeout)" },
    { name: 'unique-key', type: 'string', value: 'key', description: 'Skip the enqueue if an unfinished job holds this key (prints its id)' },
    { name: 'file', type: 'string', value: 'path', description: 'Enqueue one job per line of an NDJSON file (- for stdin)' },
    { name: 'jobs', type: 'string', value: 'module', multiple: true, description: "Module exporting job definitions whose options (queue, attempts, ...) apply" },
    { name: 'batch-size', type: 'string', value: 'n', description: `Jobs per storage call with --file (default ${DEFAULT_BATCH})` },
  ],
  examples: [
    '# One job, its options stated; prints its id',
    `spool enqueue messages.push --args '{"userId":"u1","text":"hello"}' --queue default --attempts 10 --timeout none`,
    '# In ten minutes, on the critical queue',
    `spool enqueue reports.build --args '{"day":"2030-01-01"}' --delay 10m --queue critical --attempts 3 --timeout 5m`,
    '# Only once while one is pending',
    `spool enqueue cache.rebuild --unique-key cache --jobs ./dist/jobs.js`,
    "# With the options of the job's definition (its queue, attempts, retry policy)",
    `spool enqueue images.resize --args '{"id":"cat"}' --jobs ./dist/jobs.js`,
    '# Many: one JSON arguments object per line',
    'spool enqueue messages.push --file messages.ndjson',
  ],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['name'], WHERE);
    const name = positionals[0]!;
    const options = enqueueOptions(flags);
    const file = stringFlag(flags, 'file');
    if (file !== undefined) {
      if (flags.args !== undefined) throw new UsageError('--args and --file exclude each other: with --file, each line holds the arguments of one job', WHERE);
      if (options.uniqueKey !== undefined) throw new UsageError('--unique-key applies to one job; it cannot be used with --file', WHERE);
      const batchSize = integerFlag(flags, 'batch-size', WHERE, { min: 1, max: 10_000 }) ?? DEFAULT_BATCH;
      const jobs = await definitions(flags);
      return withSpool(flags, io, (spool) => enqueueFile(spool, name, file, options, batchSize, flags, io), { jobs });
    }
    const jobArgs = jsonFlag(flags, 'args', WHERE);
    const jobs = await definitions(flags);
    return withSpool(flags, io, async (spool) => {
      const id = await spool.enqueue(name, jobArgs, options);
      const job = await spool.getJob(id);
      if (flags.json) {
        io.out(jsonDocument({ id, name, queue: job?.queue ?? null, state: job?.state ?? null, runAt: job?.runAt ?? null }));
        return 0;
      }
      io.out(`${id}\n`);
      const when = job?.state === 'scheduled' && job.runAt ? ` (runs at ${job.runAt.toISOString()})` : '';
      io.err(`enqueued ${name} on queue ${job?.queue ?? '?'}: ${job?.state ?? 'unknown'}${when}\n`);
      if (!spool.storage.capabilities.durable) {
        io.err(`note: the ${spool.storage.kind} storage keeps jobs only while this command runs; use --storage sqlite:<file>\n`);
      } else if (job?.state === 'enqueued') {
        for (const note of serverNotes(job, await spool.storage.monitoring.servers())) io.err(`note: ${note}\n`);
      }
      return 0;
    }, { jobs });
  },
};

/** The definitions of the `--jobs` modules, so that enqueue applies their options. */
async function definitions(flags: Flags): Promise<JobDefinition[]> {
  const modules = (flags.jobs as string[] | undefined) ?? [];
  return [...new Set((await Promise.all(modules.map((m) => loadJobs(m)))).flat())];
}

function enqueueOptions(flags: Flags): EnqueueOptions {
  const options: EnqueueOptions = {};
  const queue = stringFlag(flags, 'queue');
  if (queue !== undefined) options.queue = queue;
  const priority = integerFlag(flags, 'priority', WHERE, { min: -1_000_000, max: 1_000_000 });
  if (priority !== undefined) options.priority = priority;
  const attempts = integerFlag(flags, 'attempts', WHERE, { min: 1, max: 1000 });
  if (attempts !== undefined) options.attempts = attempts;
  const timeout = stringFlag(flags, 'timeout');
  if (timeout !== undefined) options.timeout = timeout === 'none' ? null : (durationFlag(flags, 'timeout', WHERE) as string);
  const delay = durationFlag(flags, 'delay', WHERE);
  const at = timeFlag(flags, 'at', WHERE);
  if (delay !== undefined && at !== undefined) throw new UsageError('give either --delay or --at, not both', WHERE);
  if (delay !== undefined) options.delay = delay;
  if (at !== undefined) options.at = at;
  const uniqueKey = stringFlag(flags, 'unique-key');
  if (uniqueKey !== undefined) options.uniqueKey = uniqueKey;
  return options;
}

async function enqueueFile(
  spool: Spool,
  name: string,
  file: string,
  options: EnqueueOptions,
  batchSize: number,
  flags: Flags,
  io: CliIo,
): Promise<number> {
  const { stream, size } = openInput(file);
  let bytesRead = 0;
  stream.on('data', (chunk: Buffer | string) => (bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const progress = new ProgressBar(io, size, 'jobs');
  let enqueued = 0;
  let lineNumber = 0;
  /** The first line of the batch being collected: where a rerun would resume after a failure. */
  let batchStart = 1;
  let batch: unknown[] = [];
  const flush = async () => {
    if (batch.length > 0) {
      await spool.enqueueMany(name, batch, options);
      enqueued += batch.length;
      batch = [];
      progress.update(bytesRead, enqueued);
    }
    batchStart = lineNumber + 1;
  };
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      try {
        batch.push(JSON.parse(line) as unknown);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new CliError('ERR_INVALID_NDJSON', `line ${lineNumber} of ${file} is not valid JSON (${reason}).`);
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    progress.update(bytesRead, enqueued, true);
  } catch (error) {
    progress.clear();
    io.err(
      `stopped: ${count(enqueued)} jobs from the lines before line ${batchStart} were enqueued, none from line ${batchStart} on ` +
        `(resume with: tail -n +${batchStart} ${file} | spool enqueue ${name} --file -)\n`,
    );
    throw error;
  } finally {
    progress.clear();
    lines.close();
    if (stream !== process.stdin) stream.destroy();
  }
  if (flags.json) io.out(jsonDocument({ name, enqueued, queue: options.queue ?? null }));
  else io.out(`enqueued ${count(enqueued)} ${name} job${enqueued === 1 ? '' : 's'}\n`);
  return 0;
}

function openInput(file: string): { stream: Readable; size: number } {
  if (file === '-') return { stream: process.stdin, size: 0 };
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new CliError('ERR_FILE', `--file ${file} is not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new CliError('ERR_FILE', code === 'ENOENT' ? `--file ${file}: no such file` : `--file ${file} cannot be read: ${String(error)}`);
  }
  return { stream: createReadStream(file), size };
}
