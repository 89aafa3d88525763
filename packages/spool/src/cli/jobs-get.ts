import type { JobView, ServerRecord } from '@spool/core';
import { JobNotFoundError } from '@spool/core';

import type { Command } from './command.js';
import { fields, inlineJson, jsonDocument, relativeTime, table, timeWithRelative } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

/** `spool jobs get <id>`: one job with everything known about it. */
export const jobsGetCommand: Command = {
  path: ['jobs', 'get'],
  summary: 'Show one job: state, arguments, result, error, history and logs',
  positionals: '<id>',
  description:
    'Shows a job with its arguments, result or error, progress, parameters, state history (with the\n' +
    'reason of every change) and its persisted logs. For a waiting job, it also says which flow-control\n' +
    'limit holds it, and when no running server can take it.',
  options: [],
  examples: ['# Everything about one job', 'spool jobs get 01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f', '# As JSON, e.g. for jq', 'spool jobs get <id> --json | jq .job.state'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['id'], 'jobs get');
    const id = positionals[0]!;
    return withSpool(flags, io, async (spool) => {
      const job = await spool.getJob(id);
      if (!job) throw new JobNotFoundError(id);
      const held = job.state === 'enqueued' ? await spool.limits.waitReason(id) : null;
      const notes = job.state === 'enqueued' ? [...(held === null ? [] : [held]), ...serverNotes(job, await spool.storage.monitoring.servers())] : [];
      if (flags.json) {
        io.out(jsonDocument({ job, notes }));
        return 0;
      }
      io.out(`${render(job, io.now())}\n`);
      for (const note of notes) io.out(`\nnote: ${note}\n`);
      return 0;
    }, { mustExist: true });
  },
};

/** Why an enqueued job may wait forever: no live server can run its name, or none serves its queue. */
export function serverNotes(job: Pick<JobView, 'name' | 'queue'>, servers: readonly ServerRecord[]): string[] {
  const handling = servers.filter((s) => s.jobNames.includes(job.name));
  if (handling.length === 0) {
    return [`no running server handles ${job.name}; the job waits until a server with this job definition starts (spool worker --jobs <module>)`];
  }
  if (!handling.some((s) => s.queues.includes(job.queue))) {
    return [`the running servers that handle ${job.name} do not serve the queue "${job.queue}"; start one with --queues ${job.queue}`];
  }
  return [];
}

function render(job: JobView, now: number): string {
  const parts: string[] = [];
  const summary: Array<[string, string]> = [
    ['id', job.id],
    ['name', job.name],
    ['state', job.state],
    ['queue', job.queue],
    ['priority', String(job.priority)],
    ['attempt', `${job.attempt} of ${job.maxAttempts}${job.rescues > 0 ? ` (rescued ${job.rescues}x)` : ''}`],
    ['created', timeWithRelative(job.createdAt, now)],
    ['updated', timeWithRelative(job.updatedAt, now)],
  ];
  if (job.runAt) summary.push(['run at', timeWithRelative(job.runAt, now)]);
  if (job.startedAt) summary.push(['started', timeWithRelative(job.startedAt, now)]);
  if (job.finishedAt) summary.push(['finished', timeWithRelative(job.finishedAt, now)]);
  if (job.expiresAt) summary.push(['expires', timeWithRelative(job.expiresAt, now)]);
  if (job.progress !== null) summary.push(['progress', `${job.progress}%`]);
  if (job.serverId) summary.push(['server', job.serverId]);
  if (job.parentId) summary.push(['parent', `${job.parentId} (on ${job.continueOn ?? 'succeeded'})`]);
  if (job.recurringId) summary.push(['recurring', job.recurringId]);
  if (job.uniqueKey) summary.push(['unique key', job.uniqueKey]);
  summary.push(['args', inlineJson(job.args, 500)]);
  if (job.result !== null && job.result !== undefined) summary.push(['result', inlineJson(job.result, 500)]);
  if (job.error) summary.push(['error', `${job.error.name}${job.error.code ? ` [${job.error.code}]` : ''}: ${job.error.message}`]);
  parts.push(fields(summary));
  const parameters = Object.entries(job.parameters);
  if (parameters.length > 0) {
    parts.push(`parameters\n${table(['key', 'value'], parameters.map(([k, v]) => [k, inlineJson(v, 200)]), 200)}`);
  }
  if (job.error?.stack) {
    const stack = job.error.stack.split('\n').slice(0, 12).map((line) => `  ${line.trim()}`);
    parts.push(`error stack\n${stack.join('\n')}`);
  }
  const history = job.history.map((h) => [relativeTime(h.at, now), h.state, h.reason, h.serverId ?? '-']);
  parts.push(`history (oldest first)\n${table(['when', 'state', 'reason', 'server'], history, 120)}`);
  if (job.logs.length > 0) {
    const logs = job.logs.map((l) => [relativeTime(l.at, now), String(l.attempt), l.level, l.message]);
    parts.push(`logs\n${table(['when', 'attempt', 'level', 'message'], logs, 200)}`);
  }
  return parts.join('\n\n');
}
