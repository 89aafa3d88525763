import type { JobRecord } from '@spool/core';
import { WAITING_CHANGES, payloadReference } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { csrfField } from './components.js';
import type { PageContext } from './page-context.js';

/** A due time as a `datetime-local` value in UTC, to the second (the form says UTC). */
export function formDueTime(at: Date): string {
  return at.toISOString().slice(0, 19);
}

/**
 * The form that changes a job while it waits (what its state allows of due time, priority, queue
 * and arguments, core's `WAITING_CHANGES`), and "Run now" for a scheduled job. Nothing for a job that
 * has started or finished, or on a read-only dashboard. The server checks everything again: the job
 * may have started since this page was drawn.
 */
export function changePanel(ctx: PageContext, job: JobRecord): SafeHtml {
  const allowed = WAITING_CHANGES[job.state];
  if (ctx.readOnly || allowed.length === 0) return html``;
  const byReference = payloadReference(job.args) !== null;
  return html`<section class="panel" data-change-panel>
  <div class="panel-head"><h2>Change while it waits</h2><span class="muted small">refused once a server has started it</span></div>
  <form method="post" action="${ctx.base}/actions/change" class="enqueue-form" data-change-form>
    ${csrfField(ctx)}<input type="hidden" name="id" value="${job.id}"><input type="hidden" name="back" value="${ctx.self}">
    <div class="enqueue-row">
      ${allowed.includes('runAt') && job.runAt ? html`<label>Due (UTC) <input type="datetime-local" step="1" name="runAt" value="${formDueTime(job.runAt)}"></label>` : ''}
      <label>Priority <input name="priority" inputmode="numeric" value="${String(job.priority)}"></label>
      <label>Queue <input name="queue" value="${job.queue}"></label>
    </div>
    ${byReference
      ? html`<p class="muted small">The arguments are kept in the file store and cannot be replaced here.</p>`
      : html`<label>Arguments (JSON) <textarea name="args" rows="6" spellcheck="false" class="mono" data-args-json>${JSON.stringify(job.args, null, 2)}</textarea></label>
    <p class="muted small" data-args-check aria-live="polite"></p>`}
    <div class="actions">
      <button class="btn btn-small" type="submit" name="action" value="change">Save changes</button>
      ${job.state === 'scheduled' ? html`<button class="btn btn-small btn-ghost" type="submit" name="action" value="run-now" data-run-now>Run now</button>` : ''}
    </div>
  </form>
</section>`;
}
