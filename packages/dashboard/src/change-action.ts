import type { ChangeJobOptions, Spool } from '@spool/core';
import { ConfigError, InvalidArgsError, JobNotFoundError, JobNotWaitingError } from '@spool/core';

import type { Form } from './http-io.js';
import { field } from './http-io.js';
import { formDueTime } from './pages/change-panel.js';

/** What a change from the job page did: the operator's notice, and how the audit log records it. */
export interface ChangeOutcome {
  notice: string;
  outcome: 'done' | 'refused';
}

/**
 * Applies the job page's change form through the client (`changeJob`, `runNow`). Only the fields
 * that differ from the job as stored are sent, so an untouched field is never a reason to refuse.
 * A refusal (the job started meanwhile, arguments that are not JSON, a bad value) is a notice that
 * says why; nothing is changed then.
 */
export async function changeFromForm(spool: Spool, form: Form): Promise<ChangeOutcome> {
  const id = field(form, 'id') ?? '';
  const action = field(form, 'action');
  try {
    if (action === 'run-now') {
      const moved = await spool.runNow(id, 'Run now from the dashboard');
      return moved ? { notice: `Job ${id} enqueued to run now.`, outcome: 'done' } : { notice: `Job ${id} was already enqueued.`, outcome: 'refused' };
    }
    const job = await spool.storage.jobGet({ id });
    if (job === null) throw new JobNotFoundError(id);
    const changes: ChangeJobOptions = {};
    const runAt = (field(form, 'runAt') ?? '').trim();
    if (runAt !== '' && (job.runAt === null || runAt !== formDueTime(job.runAt))) {
      const at = new Date(/[zZ]|[+-]\d{2}:\d{2}$/.test(runAt) ? runAt : `${runAt}Z`);
      if (Number.isNaN(at.getTime())) return refused(`the due time ${JSON.stringify(runAt)} is not a time`);
      changes.at = at;
    }
    const priority = (field(form, 'priority') ?? '').trim();
    if (priority !== '' && priority !== String(job.priority)) {
      if (!/^-?\d+$/.test(priority)) return refused(`the priority must be a whole number, got ${JSON.stringify(priority)}`);
      changes.priority = Number(priority);
    }
    const queue = (field(form, 'queue') ?? '').trim();
    if (queue !== '' && queue !== job.queue) changes.queue = queue;
    const argsText = field(form, 'args');
    if (argsText !== undefined) {
      let args: unknown;
      try {
        args = JSON.parse(argsText) as unknown;
      } catch (error) {
        return refused(`the arguments are not valid JSON (${error instanceof Error ? error.message : String(error)})`);
      }
      if (JSON.stringify(args) !== JSON.stringify(job.args)) changes.args = args;
    }
    const fields = Object.keys(changes);
    if (fields.length === 0) return { notice: `Nothing to change: job ${id} already has these values.`, outcome: 'refused' };
    await spool.changeJob(id, changes);
    return { notice: `Changed ${fields.map((f) => (f === 'at' ? 'due time' : f === 'args' ? 'arguments' : f)).join(', ')} of job ${id}.`, outcome: 'done' };
  } catch (error) {
    if (error instanceof JobNotWaitingError || error instanceof JobNotFoundError || error instanceof InvalidArgsError) return refused(error.message);
    if (error instanceof ConfigError) return refused(error.problems.map((p) => p.message).join('; '));
    throw error;
  }
}

function refused(why: string): ChangeOutcome {
  return { notice: `Not changed: ${why}`, outcome: 'refused' };
}
