import type { ServerResponse } from 'node:http';

import type { AuditOutcome, AuditSubject, NewAuditEntry } from '@spool/core';
import { AUDIT_LOG_LIMIT, ConfigError, RecurringNotFoundError } from '@spool/core';

import { applyAction, applyToMatching } from './bulk.js';
import type { DashboardRequest } from './dashboard-options.js';
import type { DashboardState } from './dashboard-state.js';
import type { Form } from './http-io.js';
import { field, readForm, redirect, send, sendHtml } from './http-io.js';
import { isJobAction } from './job-actions.js';
import { deadLetterAction } from './dead-letter-actions.js';
import { limitsAction } from './limits-action.js';
import { parseFilter } from './job-filter.js';
import { layout } from './pages/layout.js';
import { confirmPage } from './pages/search-page.js';
import { changeFromForm } from './change-action.js';
import { checkEnqueueForm, enqueueFromForm } from './enqueue-action.js';
import type { EnqueueFormData } from './pages/enqueue-page.js';
import { enqueuePage } from './pages/enqueue-page.js';

/** Most ids one selection may carry. */
const MAX_SELECTION = 1000;

/**
 * Where to send the browser back to: the given path only when, once resolved as a browser would
 * (dot segments, doubled slashes, backslashes), it is still a path under the dashboard's base;
 * else the overview. `/x/..//evil.example/` resolves to `//evil.example/`, another site.
 */
function safeBack(base: string, back: string): string {
  const origin = 'http://dashboard.invalid';
  if (!back.startsWith('/') || back.includes('\\')) return `${base}/`;
  let resolved: URL;
  try {
    resolved = new URL(back, origin);
  } catch {
    return `${base}/`;
  }
  const path = resolved.pathname;
  if (resolved.origin !== origin || path.startsWith('//') || !path.startsWith(`${base}/`)) return `${base}/`;
  return `${path}${resolved.search}`;
}

/** Where to go after an action: the page it came from, if it is a dashboard page, with a notice. */
function backTo(base: string, form: Form, notice: string): string {
  const safe = safeBack(base, field(form, 'back') ?? '');
  const url = new URL(safe, 'http://dashboard.invalid');
  url.searchParams.set('notice', notice);
  return `${url.pathname}${url.search}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A time from a form: a `datetime-local` value (no zone) is UTC, as the form says; a value with a
 * zone is kept. Null when empty. Whether it is a valid time is for the backfill to say.
 */
function formTime(value: string | undefined): string | null {
  const text = (value ?? '').trim();
  if (text === '') return null;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(text) ? `${text}Z` : text;
}

/** What an action did, for the audit log (who did it is added once). */
type Done = Omit<NewAuditEntry, 'actor'>;

/**
 * Handles a state-changing POST: read-only and CSRF checks first, then the action through the
 * client. Every action that passed the checks is written to the audit log with `actor` and its
 * result, also when it was refused or failed (refusals by the checks are not actions, and are not).
 */
export async function handleAction(state: DashboardState, req: DashboardRequest, res: ServerResponse, base: string, path: string, actor: string): Promise<void> {
  let recorded = false;
  // Written before the answer is sent, so that the page the operator goes to next shows it. The
  // action has happened: a log that cannot be written is reported, not shown as its failure.
  const audit = async (done: Done): Promise<void> => {
    recorded = true;
    await state.spool.storage.auditAppend({ entry: { actor, ...done }, keep: AUDIT_LOG_LIMIT }).catch((error: unknown) => state.options.onError(error));
  };
  try {
    await act(state, req, res, base, path, actor, audit);
  } catch (error) {
    if (!recorded) {
      const subject: AuditSubject = path === '/actions/recurring' ? 'recurring' : path === '/actions/queues' ? 'queue' : path === '/actions/limits' ? 'limits' : 'jobs';
      await audit({ action: `${path.replace('/actions/', '')}.failed`, subject, targets: [], count: 0, outcome: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
    throw error;
  }
}

async function act(state: DashboardState, req: DashboardRequest, res: ServerResponse, base: string, path: string, actor: string, audit: (done: Done) => Promise<void>): Promise<void> {
  const text = (status: number, message: string): void => send(res, status, 'text/plain; charset=utf-8', message);
  if (state.options.readOnly) return text(403, 'Forbidden: this dashboard is read-only.');
  let form: Form;
  try {
    form = await readForm(req);
  } catch {
    return text(413, 'Form too large.');
  }
  const refused = state.csrf.check(req, field(form, '_csrf'));
  if (refused) return text(403, `Forbidden: ${refused}. Reload the page and try again.`);
  const { spool } = state;
  const action = field(form, 'action');

  if (path === '/actions/jobs') {
    if (!isJobAction(action)) return text(400, 'Unknown action.');
    const ids = [...new Set(form.get('id') ?? [])].slice(0, MAX_SELECTION);
    if (ids.length === 0) return redirect(res, backTo(base, form, 'Select at least one job.'));
    if (action === 'delete' && ids.length > 1 && field(form, 'confirmed') !== '1') {
      const ctx = await state.pageContext(base, '/confirm', new URLSearchParams());
      return sendHtml(res, 200, layout(ctx, { title: 'Confirm', section: 'jobs', live: 'static', content: confirmPage(ctx, { action, ids, matching: ids.length, exact: true, limit: MAX_SELECTION }) }));
    }
    let changed = 0;
    for (const id of ids) if (await applyAction(spool, action, id)) changed++;
    const skipped = ids.length - changed;
    const notice = `${action[0]!.toUpperCase()}${action.slice(1)}: ${plural(changed, 'job')} changed${skipped ? `, ${skipped} skipped (not in a state this applies to)` : ''}.`;
    await audit({ action: `jobs.${action}`, subject: 'jobs', targets: ids, count: ids.length, outcome: changed > 0 ? 'done' : 'refused', message: notice });
    return redirect(res, backTo(base, form, notice));
  }

  if (path === '/actions/change') {
    if (action !== 'change' && action !== 'run-now') return text(400, 'Unknown action.');
    const id = field(form, 'id') ?? '';
    const { notice, outcome } = await changeFromForm(spool, form);
    await audit({ action: `jobs.${action}`, subject: 'jobs', targets: [id], count: 1, outcome, message: notice });
    return redirect(res, backTo(base, form, notice));
  }

  if (path === '/actions/bulk') {
    if (!isJobAction(action)) return text(400, 'Unknown action.');
    if (field(form, 'confirmed') !== '1') return text(400, 'A bulk action needs confirmation.');
    const filter = parseFilter((k) => field(form, k));
    const { changed, skipped, more } = await applyToMatching(state, action, filter);
    const tail = more ? ` More jobs match: run it again for the next ${state.options.bulkLimit.toLocaleString('en-US')}.` : '';
    const notice = `${action[0]!.toUpperCase()}${action.slice(1)}: ${plural(changed, 'job')} changed${skipped ? `, ${skipped} skipped` : ''}.${tail}`;
    const matching = Object.entries(filter).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v instanceof Date ? v.toISOString() : String(v)}`);
    await audit({ action: `jobs.${action}-matching`, subject: 'jobs', targets: matching, count: changed + skipped, outcome: changed > 0 ? 'done' : 'refused', message: notice });
    return redirect(res, backTo(base, form, notice));
  }

  if (path === '/actions/batches') {
    const id = field(form, 'id') ?? '';
    const told = async (notice: string, outcome: AuditOutcome = 'done', changed = 1): Promise<void> => {
      await audit({ action: `batches.${action ?? ''}`, subject: 'jobs', targets: [id], count: changed, outcome, message: notice });
      redirect(res, backTo(base, form, notice));
    };
    if (!spool.storage.capabilities.batches || (await spool.batches.get(id)) === null) return told(`No batch ${id}.`, 'refused', 0);
    switch (action) {
      case 'cancel': {
        const { deleted } = await spool.batches.cancel(id, 'Batch cancelled from the dashboard');
        return told(`Cancelled batch ${id}: ${plural(deleted, 'job')} deleted.`, 'done', deleted);
      }
      case 'retry-failed': {
        let retried = 0;
        for (const batchId of [id, ...(await spool.batches.nested(id))]) {
          let cursor: string | null = null;
          do {
            const page: Awaited<ReturnType<typeof spool.batches.jobs>> = await spool.batches.jobs(batchId, { state: 'failed', limit: 500, cursor });
            for (const job of page.jobs) if (await spool.retry(job.id)) retried++;
            cursor = page.nextCursor;
          } while (cursor !== null && retried < state.options.bulkLimit);
        }
        return told(`Retried ${plural(retried, 'failed job')} of batch ${id}.`, retried > 0 ? 'done' : 'refused', retried);
      }
      default:
        return text(400, 'Unknown action.');
    }
  }

  if (path === '/actions/recurring') {
    const id = field(form, 'id') ?? '';
    const told = async (notice: string, outcome: AuditOutcome = 'done'): Promise<void> => {
      await audit({ action: `recurring.${action ?? ''}`, subject: 'recurring', targets: [id], count: 1, outcome, message: notice });
      redirect(res, backTo(base, form, notice));
    };
    try {
      switch (action) {
        case 'trigger': {
          const jobId = await spool.recurring.trigger(id);
          return told(`Triggered ${id}: job ${jobId} enqueued.`);
        }
        case 'pause':
          await spool.recurring.pause(id);
          return told(`Paused ${id}.`);
        case 'resume':
          await spool.recurring.resume(id);
          return told(`Resumed ${id}.`);
        case 'remove':
          await spool.recurring.remove(id);
          return told(`Deleted recurring job ${id}.`);
        case 'schedule': {
          const cron = (field(form, 'cron') ?? '').trim();
          const timezone = (field(form, 'timezone') ?? '').trim() || 'UTC';
          try {
            const saved = await spool.recurring.setSchedule(id, { cron, timezone, paused: field(form, 'paused') === '1' }, { setBy: actor });
            return told(`Schedule of ${id} set to ${saved.cron} (${saved.timezone})${saved.paused ? ', paused' : ''}: it wins over the code's until reset.`);
          } catch (error) {
            // The expression and zone are the operator's input: say what is wrong with them.
            if (error instanceof ConfigError) return told(`Schedule refused: ${error.problems.map((p) => p.message).join('; ')}.`, 'refused');
            throw error;
          }
        }
        case 'reset-schedule': {
          const reset = await spool.recurring.resetSchedule(id);
          const record = await spool.recurring.get(id);
          return told(reset ? `Schedule of ${id} reset to the code's: ${record?.cron ?? ''} (${record?.timezone ?? ''}).` : `${id} already follows the code's schedule.`, reset ? 'done' : 'refused');
        }
        case 'backfill': {
          const from = formTime(field(form, 'from'));
          const to = formTime(field(form, 'to'));
          if (from === null || to === null) return told('Backfill: give both the start and the end of the range.', 'refused');
          try {
            const result = await spool.recurring.backfill(id, { from, to });
            const n = result.occurrences.length;
            return told(
              n === 0
                ? `Backfill of ${id}: no occurrence between ${from} and ${to}.`
                : `Backfilled ${id}: ${plural(n, 'occurrence')} from ${result.occurrences[0]!.toISOString()} to ${result.occurrences.at(-1)!.toISOString()}, ${plural(result.jobIds.length, 'job')} enqueued, ${result.refused.length} already had a job.`,
            );
          } catch (error) {
            // The range is the operator's input: say what is wrong with it (past now, too long, not a time).
            if (error instanceof ConfigError) return told(`Backfill refused: ${error.problems.map((p) => p.message).join('; ')}.`, 'refused');
            throw error;
          }
        }
        default:
          return text(400, 'Unknown action.');
      }
    } catch (error) {
      if (error instanceof RecurringNotFoundError) return told(`No recurring job ${id}.`, 'refused');
      throw error;
    }
  }

  if (path === '/actions/enqueue') {
    const from = field(form, 'from');
    const source = from && /^[0-9a-fA-F-]{1,64}$/.test(from) ? await spool.storage.jobGet({ id: from }) : null;
    const entered: EnqueueFormData = {
      name: field(form, 'name') ?? '',
      queue: field(form, 'queue') ?? '',
      args: field(form, 'args') ?? '',
      priority: field(form, 'priority') ?? '',
      delay: field(form, 'delay') ?? '',
      attempts: field(form, 'attempts') ?? '',
      timeout: field(form, 'timeout') ?? '',
      from: source ? { id: source.id, name: source.name } : null,
      error: null,
    };
    const checked = checkEnqueueForm(entered);
    const outcome = checked.ok ? await enqueueFromForm(state, checked) : { error: checked.error };
    const enqueueAction = source ? 'jobs.clone' : 'jobs.enqueue';
    if ('id' in outcome) {
      const what = source ? `Cloned job ${source.id} as ${outcome.id}` : `Enqueued ${checked.ok ? checked.name : ''} as job ${outcome.id}`;
      await audit({ action: enqueueAction, subject: 'jobs', targets: [outcome.id], count: 1, outcome: 'done', message: `${what}.` });
      return redirect(res, `${base}/job/${outcome.id}?notice=${encodeURIComponent(`${what}.`)}`);
    }
    await audit({ action: enqueueAction, subject: 'jobs', targets: source ? [source.id] : [], count: 1, outcome: 'refused', message: outcome.error });
    const ctx = await state.pageContext(base, '/enqueue', new URLSearchParams());
    return sendHtml(res, 400, layout(ctx, { title: 'Enqueue', section: 'enqueue', live: 'static', content: enqueuePage(ctx, { ...entered, error: outcome.error }) }));
  }

  if (path === '/actions/dead-letters') {
    const outcome = await deadLetterAction(state, form, () => state.pageContext(base, '/dead-letters', new URLSearchParams()), MAX_SELECTION);
    if (outcome === null) return text(400, 'Unknown action.');
    await audit(outcome.audit);
    if ('page' in outcome) return sendHtml(res, outcome.status, layout(await state.pageContext(base, '/dead-letters/edit', new URLSearchParams()), { title: 'Redrive with edited arguments', section: 'dead-letters', live: 'static', content: outcome.page }));
    return redirect(res, backTo(base, form, outcome.notice));
  }

  if (path === '/actions/limits') {
    const outcome = await limitsAction(spool, form, actor, () => state.pageContext(base, '/limits/edit', new URLSearchParams()));
    if (outcome === null) return text(400, 'Unknown action.');
    await audit(outcome.audit);
    if ('page' in outcome) return sendHtml(res, outcome.status, layout(await state.pageContext(base, '/limits/edit', new URLSearchParams()), { title: 'Set limits', section: 'queues', live: 'static', content: outcome.page }));
    return redirect(res, `${base}/queues?notice=${encodeURIComponent(outcome.notice)}`);
  }

  if (path === '/actions/queues') {
    const queue = field(form, 'queue') ?? '';
    if (!queue) return text(400, 'Which queue?');
    if (action === 'pause') await spool.pauseQueue(queue);
    else if (action === 'resume') await spool.resumeQueue(queue);
    else return text(400, 'Unknown action.');
    const notice = `${action === 'pause' ? 'Paused' : 'Resumed'} queue ${queue}.`;
    await audit({ action: `queue.${action}`, subject: 'queue', targets: [queue], count: 1, outcome: 'done', message: notice });
    return redirect(res, backTo(base, form, notice));
  }
  return text(404, 'Not found');
}
